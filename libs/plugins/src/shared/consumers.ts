// What every authentication plugin shares: consumer lookups built once per snapshot, and the upstream
// headers Kong sets once a consumer is identified (kong/plugins/*/handler.lua set_consumer).
import { LayeredMap, type ConfigIndex, type ConfigureEnv, type ConsumerRef, type CredentialRef, type PluginContext } from '@archway/pipeline';
import { forEachInSteps, type Consumer } from '@archway/schema';

export const CONSUMER_HEADERS = {
  id: 'x-consumer-id',
  customId: 'x-consumer-custom-id',
  username: 'x-consumer-username',
  credential: 'x-credential-identifier',
  anonymous: 'x-anonymous-consumer',
  groups: 'x-consumer-groups',
} as const;

export interface ConsumerIndex {
  byId: LayeredMap<string, ConsumerRef>;
  byUsername: LayeredMap<string, ConsumerRef>;
}

const refOf = (c: Consumer): ConsumerRef => ({ id: c.id, username: c.username, custom_id: c.custom_id });

/** Consumers by id and by username, shared by every auth plugin instance of a snapshot. */
export const CONSUMER_INDEX: ConfigIndex<ConsumerIndex> = {
  key: 'consumers',
  *build(config) {
    const byId = new Map<string, ConsumerRef>();
    const byUsername = new Map<string, ConsumerRef>();
    yield* forEachInSteps((config as { consumers?: Consumer[] }).consumers, (c) => {
      const ref = refOf(c);
      byId.set(c.id, ref);
      if (c.username) byUsername.set(c.username, ref);
    });
    return { byId: new LayeredMap(byId), byUsername: new LayeredMap(byUsername) };
  },
  *update(prev, changes) {
    const dropped = (changes.dropped.consumers ?? []) as Consumer[];
    const refs = ((changes.upserted.consumers ?? []) as Consumer[]).map(refOf);
    return {
      byId: yield* prev.byId.withSteps(
        dropped.map((c) => c.id),
        refs.map((r) => [r.id, r]),
      ),
      byUsername: yield* prev.byUsername.withSteps(
        dropped.filter((c) => c.username && prev.byUsername.get(c.username)?.id === c.id).map((c) => c.username as string),
        refs.filter((r) => r.username).map((r) => [r.username as string, r]),
      ),
    };
  },
};

export function consumerIndex(env: ConfigureEnv): ConsumerIndex {
  return env.index(CONSUMER_INDEX);
}

/** `anonymous` names a consumer by id or username (Kong accepts both). */
export function anonymousConsumer(index: ConsumerIndex, anonymous: unknown): ConsumerRef | null {
  if (typeof anonymous !== 'string' || anonymous === '') return null;
  return index.byId.get(anonymous) ?? index.byUsername.get(anonymous) ?? null;
}

/** Marks the request authenticated (or anonymous when `credential` is null) and sets Kong's upstream headers. */
export function setConsumer(ctx: PluginContext, consumer: ConsumerRef | null, credential: CredentialRef | null): void {
  ctx.authenticate(consumer, credential);
  ctx.anonymous = credential === null;
  setOrRemove(ctx, CONSUMER_HEADERS.id, consumer?.id);
  setOrRemove(ctx, CONSUMER_HEADERS.customId, consumer?.custom_id);
  setOrRemove(ctx, CONSUMER_HEADERS.username, consumer?.username);
  setOrRemove(ctx, CONSUMER_HEADERS.credential, credential?.identifier);
  setOrRemove(ctx, CONSUMER_HEADERS.anonymous, credential ? null : 'true');
}

function setOrRemove(ctx: PluginContext, name: string, value: string | null | undefined): void {
  if (value) ctx.setHeader(name, value);
  else ctx.removeHeader(name);
}
