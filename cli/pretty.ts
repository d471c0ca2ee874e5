// `node inspect --pretty` and `config inspect --pretty`: docker's templates, run on a
// view of the object with the computed fields those templates name.
import type { Config, Node } from './api-types.js';
import { goTimeString, prettyPrint } from './gotime.js';

export const NODE_PRETTY_TEMPLATE = `ID:\t\t\t{{.ID}}
{{- if .Name }}
Name:\t\t\t{{.Name}}
{{- end }}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Hostname:              \t{{.Hostname}}
Joined at:             \t{{.CreatedAt}}
Status:
 State:\t\t\t{{.StatusState}}
 {{- if .HasStatusMessage}}
 Message:              \t{{.StatusMessage}}
 {{- end}}
 Availability:         \t{{.SpecAvailability}}
 {{- if .Status.Addr}}
 Address:\t\t{{.StatusAddr}}
 {{- end}}
{{- if .HasManagerStatus}}
Manager Status:
 Address:\t\t{{.ManagerStatusAddr}}
 Raft Status:\t\t{{.ManagerStatusReachability}}
 {{- if .IsManagerStatusLeader}}
 Leader:\t\tYes
 {{- else}}
 Leader:\t\tNo
 {{- end}}
{{- end}}
Platform:
 Operating System:\t{{.PlatformOS}}
 Architecture:\t\t{{.PlatformArchitecture}}
Resources:
 CPUs:\t\t\t{{.ResourceNanoCPUs}}
 Memory:\t\t{{.ResourceMemory}}
{{- if .HasEnginePlugins}}
Plugins:
{{- range $k, $v := .EnginePlugins }}
 {{ $k }}:{{if $v }}\t\t{{ $v }}{{ end }}
{{- end }}
{{- end }}
Engine Version:\t\t{{.EngineVersion}}
{{- if .EngineLabels}}
Engine Labels:
{{- range $k, $v := .EngineLabels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{- end }}
{{- if .HasTLSInfo}}
TLS Info:
 TrustRoot:
{{.TLSInfoTrustRoot}}
 Issuer Subject:\t{{.TLSInfoCertIssuerSubject}}
 Issuer Public Key:\t{{.TLSInfoCertIssuerPublicKey}}
{{- end}}`;

export const CONFIG_PRETTY_TEMPLATE = `ID:\t\t\t{{.ID}}
Name:\t\t\t{{.Name}}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Created at:            \t{{.CreatedAt}}
Updated at:            \t{{.UpdatedAt}}
Data:
{{.Data}}`;

export function nodePrettyView(n: Node): Record<string, unknown> {
  const d = n.Description ?? {};
  const ms = n.ManagerStatus ?? null;
  const tls = d.TLSInfo ?? {};
  const plugins: Record<string, string[]> = {};
  for (const p of d.Engine?.Plugins ?? []) (plugins[p.Type] ??= []).push(p.Name);
  return {
    ID: n.ID,
    Name: n.Spec.Name ?? '',
    Labels: n.Spec.Labels ?? {},
    Hostname: d.Hostname ?? '',
    CreatedAt: prettyPrint(goTimeString(n.CreatedAt)),
    StatusState: prettyPrint(n.Status?.State ?? ''),
    HasStatusMessage: Boolean(n.Status?.Message),
    StatusMessage: prettyPrint(n.Status?.Message ?? ''),
    SpecAvailability: prettyPrint(n.Spec.Availability ?? ''),
    Status: n.Status ?? {},
    StatusAddr: n.Status?.Addr ?? '',
    HasManagerStatus: ms !== null,
    ManagerStatusAddr: ms?.Addr ?? '',
    ManagerStatusReachability: prettyPrint(ms?.Reachability ?? ''),
    IsManagerStatusLeader: ms?.Leader === true,
    PlatformOS: d.Platform?.OS ?? '',
    PlatformArchitecture: d.Platform?.Architecture ?? '',
    ResourceNanoCPUs: Math.trunc((d.Resources?.NanoCPUs ?? 0) / 1e9),
    ResourceMemory: d.Resources?.MemoryBytes ? bytesSize(d.Resources.MemoryBytes) : '',
    HasEnginePlugins: (d.Engine?.Plugins ?? []).length > 0,
    EnginePlugins: Object.fromEntries(Object.entries(plugins).map(([k, v]) => [k, v.join(', ')])),
    EngineLabels: d.Engine?.Labels ?? {},
    EngineVersion: d.Engine?.EngineVersion ?? '',
    HasTLSInfo: Boolean(tls.TrustRoot || tls.CertIssuerSubject || tls.CertIssuerPublicKey),
    TLSInfoTrustRoot: tls.TrustRoot ?? '',
    // The API already carries these as base64, which is what docker prints.
    TLSInfoCertIssuerSubject: tls.CertIssuerSubject ?? '',
    TLSInfoCertIssuerPublicKey: tls.CertIssuerPublicKey ?? '',
  };
}

export function configPrettyView(c: Config): Record<string, unknown> {
  return {
    ID: c.ID,
    Name: c.Spec.Name,
    Labels: c.Spec.Labels ?? {},
    CreatedAt: prettyPrint(goTimeString(c.CreatedAt)),
    UpdatedAt: prettyPrint(goTimeString(c.UpdatedAt)),
    Data: Buffer.from(c.Spec.Data ?? '', 'base64').toString('utf8'),
  };
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units' BytesSize: base 1024, four significant digits ("%.4g"), e.g. "1.953GiB". */
export function bytesSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < BINARY_UNITS.length - 1) {
    size /= 1024;
    i++;
  }
  return `${Number(size.toPrecision(4))}${BINARY_UNITS[i]}`;
}
