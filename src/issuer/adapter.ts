/**
 * A Map-based storage adapter for oidc-provider, with expiry, owned by one issuer instance so that
 * `forgetGrants()` can drop everything it holds.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** epoch milliseconds; Infinity when the artifact does not expire */
  expiresAt: number;
}

/** The models whose artifacts belong to a grant and die with it. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

const SWEEP_EVERY = 200;

export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  /** Session uid -> Session id */
  readonly #uids = new Map<string, string>();
  /** user code -> DeviceCode id */
  readonly #userCodes = new Map<string, string>();
  /** grant id -> keys of the artifacts issued under it */
  readonly #grants = new Map<string, Set<string>>();
  #writes = 0;

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const key = `${model}:${id}`;
    if (this.#entries.has(key)) this.delete(key);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    this.#entries.set(key, { payload, expiresAt });
    if (model === 'Session' && typeof payload.uid === 'string') this.#uids.set(payload.uid, id);
    if (typeof payload.userCode === 'string') this.#userCodes.set(payload.userCode, id);
    if (GRANTABLE.has(model) && typeof payload.grantId === 'string') {
      let members = this.#grants.get(payload.grantId);
      if (!members) {
        members = new Set();
        this.#grants.set(payload.grantId, members);
      }
      members.add(key);
    }
    if (++this.#writes % SWEEP_EVERY === 0) this.sweep();
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const id = key.slice(key.indexOf(':') + 1);
    const { payload } = entry;
    if (typeof payload.uid === 'string' && this.#uids.get(payload.uid) === id) this.#uids.delete(payload.uid);
    if (typeof payload.userCode === 'string' && this.#userCodes.get(payload.userCode) === id) {
      this.#userCodes.delete(payload.userCode);
    }
    if (typeof payload.grantId === 'string') {
      const members = this.#grants.get(payload.grantId);
      members?.delete(key);
      if (members?.size === 0) this.#grants.delete(payload.grantId);
    }
  }

  idForUid(uid: string): string | undefined {
    return this.#uids.get(uid);
  }

  idForUserCode(userCode: string): string | undefined {
    return this.#userCodes.get(userCode);
  }

  revokeByGrantId(model: string, grantId: string): void {
    const members = this.#grants.get(grantId);
    if (!members) return;
    for (const key of [...members]) {
      if (key.startsWith(`${model}:`)) this.delete(key);
    }
  }

  /** Drops expired entries (called every few writes; there is no timer to keep the process alive). */
  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#uids.clear();
    this.#userCodes.clear();
    this.#grants.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

class MemoryAdapter implements Adapter {
  readonly #model: string;
  readonly #store: MemoryStore;

  constructor(model: string, store: MemoryStore) {
    this.#model = model;
    this.#store = store;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.#store.set(this.#model, id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#store.get(this.#key(id));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.#store.idForUserCode(userCode);
    return id === undefined ? undefined : this.#store.get(this.#key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.#store.idForUid(uid);
    return id === undefined ? undefined : this.#store.get(this.#key(id));
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#store.revokeByGrantId(this.#model, grantId);
  }
}

/** An adapter factory (what oidc-provider's `adapter` option takes) bound to `store`. */
export function memoryAdapterFactory(store: MemoryStore): (model: string) => Adapter {
  return (model) => new MemoryAdapter(model, store);
}
