// One place that loads @peculiar/x509 the way it needs to be loaded: the library
// resolves its algorithms through tsyringe, which refuses to start without the
// Reflect metadata polyfill, and it must be told to use Node's WebCrypto.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's webcrypto type and the DOM Crypto type the library declares differ only in DOM-only members.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
