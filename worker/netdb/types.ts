// The shapes networkdb replicates. The network id lives on the entry/event, not inside
// the value, because it is what scopes the entry: one place, one name.

export type TableName = 'overlay_peer' | 'dns';
export const TABLES: readonly TableName[] = ['overlay_peer', 'dns'];

/** A remote endpoint as the overlay programs it: neighbour (ip→mac) and FDB (mac→vtep). */
export interface OverlayPeerValue {
  ip: string;
  mac: string;
  vtep: string;
}

/** A container's DNS record on one network. */
export interface DnsValue {
  name: string;
  aliases: string[];
  ip: string;
}

export interface TableValues {
  overlay_peer: OverlayPeerValue;
  dns: DnsValue;
}

export type TableValue = OverlayPeerValue | DnsValue;

/**
 * One replicated change, as gossiped and as exported for push-pull. A tombstone has
 * deleted=true and value=null. `owner`+`incarnation` say which life of which node wrote it.
 */
export type TableEvent = {
  [T in TableName]: {
    table: T;
    network: string;
    key: string;
    owner: string;
    incarnation: number;
    ltime: number;
    deleted: boolean;
    value: TableValues[T] | null;
  };
}[TableName];

/** Full state for push-pull: the sender's clock (so the receiver can witness it) and entries. */
export interface NetDbState {
  clock: number;
  entries: TableEvent[];
}

export type ChangeHandler = (
  table: TableName,
  network: string,
  key: string,
  oldValue: TableValue | undefined,
  newValue: TableValue | undefined,
) => void;
