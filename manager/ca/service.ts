// The CA service on 2377: hands out the root CA (the joiner checks it against its
// token's pin), admits nodes by join token, and renews certificates. The role in a
// certificate always follows the store: promotion and demotion change it at renewal.
import type * as grpc from '@grpc/grpc-js';
import { ClusterCA } from './ca.js';
import { caDigest, parseJoinToken, tokenMatches } from './tokens.js';
import { ControlServer } from '../control/server.js';
import { getCluster } from '../cluster.js';
import { newId, type Cluster, type NodeAvailability, type NodeContent } from '../store/index.js';
import type { ManagerContext } from '../context.js';
import { TsswarmError } from '../../shared/errors.js';
import type { JoinRequest, JoinResponse, RenewRequest, RenewResponse, RootCA, Empty, NodeDescriptionMsg } from '../../shared/control/proto.js';

function clusterCA(c: Cluster): ClusterCA {
  if (!c.rootCA) throw new TsswarmError('Unavailable', 'the swarm has no root CA yet');
  return ClusterCA.load({ certPem: c.rootCA.caCertPem, keyPem: c.rootCA.caKeyPem, clusterId: c.id });
}

const certDays = (c: Cluster): number => c.spec.caConfig.nodeCertExpiryMs / (24 * 3600 * 1000);

export function describe(d: NodeDescriptionMsg | undefined): NodeContent['description'] {
  return {
    hostname: d?.hostname ?? '',
    platform: { architecture: d?.architecture ?? '', os: d?.os ?? '' },
    resources: { nanoCPUs: Math.max(0, Number(d?.nanoCpus ?? 0)), memoryBytes: Math.max(0, Number(d?.memoryBytes ?? 0)) },
    engine: { engineVersion: d?.engineVersion ?? '' },
  };
}

/** `--availability` of init and join; empty means active. */
export function checkAvailability(v: string | undefined): NodeAvailability {
  if (!v) return 'active';
  if (v === 'active' || v === 'pause' || v === 'drain') return v;
  throw new TsswarmError('Invalid', `invalid availability "${v}": want active, pause or drain`);
}

export function caService(ctx: ManagerContext, control: ControlServer): grpc.UntypedServiceImplementation {
  return {
    GetRootCA: ControlServer.unary<Empty, RootCA>(async () => {
      const c = await getCluster(ctx.store);
      return { caCertPem: c.rootCA?.caCertPem ?? '' };
    }),

    Join: ControlServer.unary<JoinRequest, JoinResponse>(async (req) => {
      const c = await getCluster(ctx.store, { linearizable: true });
      const ca = clusterCA(c);
      // A malformed token is the user's typo: say what is wrong with it.
      const token = parseJoinToken(req.token);
      if (token.caDigest !== caDigest(ca.certPem)) {
        throw new TsswarmError('Refused', 'the join token belongs to another swarm (its CA digest does not match this swarm\'s root CA)');
      }
      const tokens = c.rootCA!.joinTokens;
      const role = tokenMatches(tokens.manager, req.token) ? 'manager' : tokenMatches(tokens.worker, req.token) ? 'worker' : undefined;
      if (!role) {
        throw new TsswarmError('Refused', 'the join token was not accepted: it is wrong or has been rotated; get the current one on a manager with `tsswarm swarm join-token worker` (or manager)');
      }
      const availability = checkAvailability(req.availability);
      const nodeId = newId();
      const { certPem } = await ca.issueNodeCert({ nodeId, role, clusterId: c.id, publicKeyPem: req.publicKeyPem, days: certDays(c) });
      const r = await ctx.store.create('nodes', {
        spec: { role, availability },
        description: describe(req.description),
        status: { state: 'unknown', message: 'joined; waiting for its first heartbeat', addr: req.dataPathAddr || undefined },
        // A manager's Raft membership, and so its role in effect, starts when it joins Raft.
        role: 'worker',
      }, { id: nodeId });
      if (!r.ok) throw new TsswarmError(r.error.code, r.error.message);
      ctx.log(`node ${nodeId} (${req.description?.hostname ?? '?'}) joined as ${role}`);
      return {
        nodeId, certPem, caCertPem: ca.certPem, clusterId: c.id, role,
        managers: ctx.managers(), leaderId: ctx.leader()?.nodeId ?? '', dataPathPort: c.dataPathPort,
      };
    }),

    Renew: ControlServer.unary<RenewRequest, RenewResponse>(async (req, call) => {
      const who = control.identify(call);
      const c = await getCluster(ctx.store, { linearizable: true });
      const node = await ctx.store.get('nodes', who.nodeId);
      if (!node) throw new TsswarmError('Refused', `node ${who.nodeId} is not part of this swarm`);
      // A demoted manager keeps its manager identity until Raft has let it go, so it can
      // still take part in (and be removed from) the group cleanly.
      const inRaft = ctx.isRaftMember(who.nodeId);
      const role = node.spec.role === 'manager' || inRaft ? 'manager' : 'worker';
      const { certPem } = await clusterCA(c).issueNodeCert({ nodeId: who.nodeId, role, clusterId: c.id, publicKeyPem: req.publicKeyPem, days: certDays(c) });
      return { certPem, role };
    }),
  };
}
