// One gossip member as its own process, for bench:gossip. Reports on stdout as JSON
// lines (ready, member events, user broadcasts received); reads commands on stdin:
// `broadcast <text>` and `leave`. Exits on SIGTERM or when stdin closes.
//
//   node dist/bench/gossip-agent.js <name> <bind host:port> <key hex> [seed host:port]
import readline from 'node:readline';
import { GossipNode } from '../worker/gossip/node.js';
import { Keyring } from '../worker/gossip/keyring.js';

const [name, bind, keyHex, seed] = process.argv.slice(2);
if (name === undefined || bind === undefined || keyHex === undefined) {
  console.error('usage: gossip-agent <name> <bind host:port> <key hex> [seed]');
  process.exit(2);
}
const out = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ t: performance.timeOrigin + performance.now(), ...o })}\n`);
};

const node = await GossipNode.start({
  name,
  bindAddr: bind,
  keyring: new Keyring([Buffer.from(keyHex, 'hex')], { label: 'ts-bench' }),
  log: (m) => console.error(`[${name}] ${m}`),
  onMember: (ev) => out({ ev: 'member', type: ev.type, name: ev.member.name, state: ev.member.state }),
  onUser: (origin, payload) => out({ ev: 'user', origin, text: Buffer.from(payload).toString() }),
});
out({ ev: 'ready', addr: node.addr });
if (seed !== undefined) {
  try {
    await node.join([seed]);
  } catch (e) {
    console.error(`[${name}] join failed: ${(e as Error).message}`);
  }
}

let closing = false;
async function close(graceful: boolean): Promise<void> {
  if (closing) return;
  closing = true;
  if (graceful) await node.leave();
  await node.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void close(false));
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, ...rest] = line.split(' ');
  if (cmd === 'broadcast') node.broadcast(Buffer.from(rest.join(' ')));
  else if (cmd === 'leave') void close(true);
});
rl.on('close', () => void close(false));
