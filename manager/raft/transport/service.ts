// raft.proto's Raft service for grpc-js, without proto-loader: requests are
// encoded by codec.ts (the sender encodes before writing, so it knows each batch's
// size; the receiver decodes in grpc-js's deserializer).
import type * as grpc from '@grpc/grpc-js';
import type { Message } from '../core/types.js';
import { decodeBatch } from './codec.js';

export const STREAM_PATH = '/tsswarm.raft.v1.Raft/Stream';

/** An empty StreamEnd. */
const END = Buffer.alloc(0);

export type StreamEnd = Record<string, never>;

export const raftService: grpc.ServiceDefinition<{ Stream: grpc.handleClientStreamingCall<Message[], StreamEnd> }> = {
  Stream: {
    path: STREAM_PATH,
    requestStream: true,
    responseStream: false,
    requestSerialize: (b: Buffer): Buffer => b,
    requestDeserialize: (b: Buffer): Message[] => decodeBatch(b),
    responseSerialize: (): Buffer => END,
    responseDeserialize: (): StreamEnd => ({}),
  },
};

export const passThrough = (b: Buffer): Buffer => b;
export const readEnd = (): StreamEnd => ({});
