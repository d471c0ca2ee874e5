// Gossip tuning in one place. The numbers follow memberlist's LAN profile, which was
// tuned for a single datacentre network (sub-millisecond RTT, rare loss); the reason
// for each one is beside it.

export interface GossipConfig {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  indirectChecks: number;
  gossipIntervalMs: number;
  gossipNodes: number;
  gossipEagerGapMs: number;
  gossipToTheDeadMs: number;
  retransmitMult: number;
  userRetransmitFactor: number;
  suspicionMult: number;
  suspicionMaxTimeoutMult: number;
  awarenessMaxMultiplier: number;
  pushPullIntervalMs: number;
  joinSyncs: number;
  joinSyncIntervalMs: number;
  udpBufferSize: number;
  maxUserPayload: number;
  userSeenMs: number;
  reapDeadAfterMs: number;
  housekeepingIntervalMs: number;
}

export const GOSSIP_DEFAULTS: Readonly<GossipConfig> = Object.freeze({
  // One member probed per second: failure detection load is constant per node,
  // whatever the cluster size, and a dead member is probed by someone within ~1 s.
  probeIntervalMs: 1000,
  // A LAN round trip is far below this; 500 ms leaves half the interval for the
  // indirect probes before the round ends.
  probeTimeoutMs: 500,
  // Three relays make a false suspicion need four independent path failures.
  indirectChecks: 3,
  // Broadcasts leave every 200 ms, so news crosses a hop five times per second.
  gossipIntervalMs: 200,
  // Fan-out of three per round: epidemic spread reaches N members in O(log N) rounds.
  gossipNodes: 3,
  // Fresh news (a join, a suspicion, a death, a user broadcast) does not wait for the
  // next round: it leaves at once, and each member that hears it passes it on at once,
  // so it crosses a hop in a network round trip instead of ~100 ms of waiting. Rounds
  // triggered this way are at least 50 ms apart, so a burst of news coalesces into one
  // packet per target and a node adds at most 20 rounds a second to its 5; the number
  // of times each message is sent (retransmitMult) does not change, only when.
  gossipEagerGapMs: 50,
  // Keep gossiping to a member for 30 s after it was declared dead, so that a member
  // that was only cut off hears it and can refute.
  gossipToTheDeadMs: 30_000,
  // Each broadcast is sent mult * ceil(log10(N+1)) times: enough copies that it
  // reaches everyone with high probability, few enough that queues drain.
  retransmitMult: 4,
  // Minimum suspicion lasts mult * max(1, log10 N) probe intervals: long enough for
  // the accused to hear it and refute, growing slowly with the cluster.
  suspicionMult: 4,
  // Lifeguard: with no confirmations a suspicion lasts 6x the minimum; independent
  // confirmations shrink it towards the minimum.
  suspicionMaxTimeoutMult: 6,
  // Lifeguard local health: a struggling node stretches its probe interval and
  // timeout up to 8x instead of accusing healthy peers.
  awarenessMaxMultiplier: 8,
  // Full state exchange over TCP every 30 s repairs anything gossip missed; rarer in
  // large clusters (scaled above 32 members) because each sync carries all members.
  pushPullIntervalMs: 30_000,
  // A joiner learns the members its seed knew at that moment; when many join at once
  // (a cluster booting), each then knows only those that joined before it, and gossip
  // alone must carry N join messages to N members: N² items in ~1 KiB packets, which
  // grows with N, not log N. A few early full syncs with random members merge those
  // partial views the way an epidemic spreads (O(log N) syncs to reach everyone), so the
  // cluster converges in seconds. Each costs one TCP exchange of the member list.
  joinSyncs: 3,
  // About a gossip round and a half apart (the first jittered ±50%, so that a burst of
  // joiners does not sync in lockstep): the other joiners of a burst
  // have reached their seeds by then, and three syncs are over within a second or so.
  // In the simulator, 316 members booting together converge in ~2 rounds with this and
  // ~5 with 1 s.
  joinSyncIntervalMs: 300,
  // Stays below a 1500-byte Ethernet MTU after IP/UDP headers, also across a VXLAN
  // underlay, so packets are never fragmented. This includes the keyring's overhead.
  udpBufferSize: 1400,
  // Application broadcasts must fit one packet with headers, a 255-byte node name and
  // the seal; 1024 bytes leaves that room.
  maxUserPayload: 1024,
  // User broadcasts (the overlay's table events) are sent twice as many times as
  // membership news: a member that misses membership news learns it at the next probe or
  // push-pull, but a missed table event waits for the owner's next republish (10 s).
  // With memberlist's 4 × log10(N) sends per holder, about one event in fifty missed one
  // of 64 members on loopback under load (bench:gossip); doubling makes a miss need
  // every one of twice as many independent sends to pass the member by.
  userRetransmitFactor: 2,
  // A user broadcast is retransmitted for a few seconds at most; remembering its id for
  // two minutes makes "delivered once" hold with a wide margin.
  userSeenMs: 120_000,
  // Dead members stay as tombstones for a day (Serf's reconnect timeout), so a member
  // that comes back is recognised and we can keep trying to reach it.
  reapDeadAfterMs: 24 * 3600_000,
  // Pruning of seen ids and tombstones; cheap, once a second is plenty.
  housekeepingIntervalMs: 1000,
});
