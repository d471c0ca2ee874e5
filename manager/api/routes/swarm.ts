// /swarm (inspect, update, unlock key) as the Docker Engine API has them. init,
// join and leave act on the local node and live in the daemon (daemon/api.ts).
import type { FastifyPluginAsync } from 'fastify';
import { X509Certificate } from 'node:crypto';
import type { ApiContext } from '../server.js';
import type { Cluster } from '../../store/index.js';
import { getCluster } from '../../cluster.js';
import { makeJoinToken } from '../../ca/index.js';
import { TsswarmError } from '../../../shared/errors.js';
import { storeError } from '../store-errors.js';

const NS_PER_MS = 1_000_000;

export function swarmView(c: Cluster): Record<string, unknown> {
  const s = c.spec;
  const ca = c.rootCA ? new X509Certificate(c.rootCA.caCertPem) : undefined;
  return {
    ID: c.id,
    Version: { Index: c.version },
    CreatedAt: c.createdAt,
    UpdatedAt: c.updatedAt,
    Spec: {
      Name: s.name,
      Labels: s.labels ?? {},
      Orchestration: { TaskHistoryRetentionLimit: s.orchestration.taskHistoryRetentionLimit },
      Raft: {
        SnapshotInterval: s.raft.snapshotInterval, KeepOldSnapshots: s.raft.keepOldSnapshots,
        LogEntriesForSlowFollowers: s.raft.logEntriesForSlowFollowers, ElectionTick: s.raft.electionTick, HeartbeatTick: s.raft.heartbeatTick,
      },
      Dispatcher: { HeartbeatPeriod: s.dispatcher.heartbeatPeriodMs * NS_PER_MS },
      CAConfig: { NodeCertExpiry: s.caConfig.nodeCertExpiryMs * NS_PER_MS },
      TaskDefaults: {},
      EncryptionConfig: { AutoLockManagers: s.encryptionConfig.autoLockManagers },
    },
    TLSInfo: ca
      ? { TrustRoot: c.rootCA!.caCertPem, CertIssuerPublicKey: ca.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') }
      : {},
    RootRotationInProgress: false,
    DefaultAddrPool: c.defaultAddrPool,
    SubnetSize: c.subnetSize,
    DataPathPort: c.dataPathPort,
    JoinTokens: { Worker: c.rootCA?.joinTokens.worker ?? '', Manager: c.rootCA?.joinTokens.manager ?? '' },
  };
}

interface SpecBody {
  Name?: string;
  Labels?: Record<string, string>;
  Dispatcher?: { HeartbeatPeriod?: number };
  CAConfig?: { NodeCertExpiry?: number };
  EncryptionConfig?: { AutoLockManagers?: boolean };
}

const truthy = (v: string | undefined): boolean => v === 'true' || v === '1';

export const swarmRoutes = (ctx: ApiContext): FastifyPluginAsync => async (app) => {
  app.get('/swarm', async () => swarmView(await getCluster(ctx.store, { linearizable: true })));

  app.post<{ Querystring: Record<string, string | undefined>; Body: SpecBody }>('/swarm/update', async (req, reply) => {
    const version = Number(req.query['version']);
    if (!Number.isInteger(version)) throw new TsswarmError('Invalid', 'the version query parameter is required');
    const b = req.body ?? {};
    if (b.EncryptionConfig?.AutoLockManagers) throw new TsswarmError('Invalid', 'autolock is not supported by tsswarm: manager keys are not encrypted at rest');
    const expiryNs = b.CAConfig?.NodeCertExpiry;
    // Swarm's floor: a certificate must outlive the time it takes to renew one.
    if (expiryNs !== undefined && expiryNs !== 0 && expiryNs < 3600e9) {
      throw new TsswarmError('Invalid', 'node certificate expiry must be at least 1 hour');
    }
    const hb = b.Dispatcher?.HeartbeatPeriod;
    if (hb !== undefined && hb !== 0 && hb < 1e9 / 10) throw new TsswarmError('Invalid', 'heartbeat period must be at least 100ms');
    const c = await getCluster(ctx.store, { linearizable: true });
    const r = await ctx.store.update('clusters', c.id, version, (d) => {
      if (b.Labels) d.spec.labels = b.Labels;
      if (expiryNs) d.spec.caConfig.nodeCertExpiryMs = Math.round(expiryNs / NS_PER_MS);
      if (hb) d.spec.dispatcher.heartbeatPeriodMs = Math.round(hb / NS_PER_MS);
      if (d.rootCA && truthy(req.query['rotateWorkerToken'])) d.rootCA.joinTokens.worker = makeJoinToken(d.rootCA.caCertPem);
      if (d.rootCA && truthy(req.query['rotateManagerToken'])) d.rootCA.joinTokens.manager = makeJoinToken(d.rootCA.caCertPem);
    });
    if (!r.ok) {
      if (r.error.code === 'Conflict') throw new TsswarmError('Conflict', `update out of sequence: the swarm changed since version ${version}; inspect it again and retry`);
      throw storeError(r);
    }
    return reply.status(200).send();
  });

  // Autolock is not supported, so there is never an unlock key; docker prints "no unlock key is set".
  app.get('/swarm/unlockkey', async () => ({ UnlockKey: '' }));
};
