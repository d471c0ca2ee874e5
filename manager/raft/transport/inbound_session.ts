// grpc-js gives a server no option for HTTP/2 flow-control windows, so a client
// stream into it runs with HTTP/2's 64 KiB default: every ~64 KiB the sender waits
// for a WINDOW_UPDATE, which halved loopback throughput (measured: 157 k -> 284-440 k
// 300-byte entries/s). This reaches the HTTP/2 session behind a server call through
// grpc-js internals and widens its windows once per connection. Feature-detected:
// if grpc-js changes shape we lose only the speed-up, never correctness.
// (TCP_NODELAY on these server sockets was tried too: it halved throughput again.)
import type { Http2Session } from 'node:http2';

/** Per connection: all streams of one peer together. */
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Per stream: a few 1 MiB batches in flight. */
const STREAM_WINDOW = 4 * 1024 * 1024;

const tuned = new WeakSet<Http2Session>();

function sessionOf(call: object): Http2Session | undefined {
  // ServerReadableStreamImpl.call -> (ServerInterceptingCall.nextCall)* -> BaseServerInterceptingCall.stream.session
  let c: unknown = (call as { call?: unknown }).call;
  for (let i = 0; i < 8 && c !== null && typeof c === 'object' && !('stream' in c) && 'nextCall' in c; i++) c = (c as { nextCall: unknown }).nextCall;
  const session = (c as { stream?: { session?: unknown } } | null | undefined)?.stream?.session;
  if (session && typeof (session as Http2Session).setLocalWindowSize === 'function' && typeof (session as Http2Session).settings === 'function') {
    return session as Http2Session;
  }
  return undefined;
}

/** Tune the connection carrying `call` (once per connection); false if it could not be reached. */
export function tuneInboundSession(call: object): boolean {
  const session = sessionOf(call);
  if (!session) return false;
  if (tuned.has(session) || session.destroyed) return true;
  tuned.add(session);
  try {
    session.setLocalWindowSize(CONNECTION_WINDOW);
    // Changing SETTINGS_INITIAL_WINDOW_SIZE also resizes streams already open (RFC 9113 6.9.2).
    session.settings({ initialWindowSize: STREAM_WINDOW });
  } catch {
    return false;
  }
  return true;
}
