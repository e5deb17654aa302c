// acl (kong/plugins/acl/handler.lua, Kong 3.9): allows or denies the authenticated consumer by the
// groups of its acls. Groups per consumer are indexed from a whole snapshot, the index updated by
// deltas; each instance remembers its verdict per consumer, as Kong's config cache does.
import { LayeredMap, type ConfigIndex, type PluginContext, type PluginHandler } from '@archway/pipeline';
import { forEachInSteps, type Acl } from '@archway/schema';
import { CONSUMER_HEADERS } from '../shared/consumers';
import { aclSchema } from './schema';

const ERR_FORBIDDEN = 'You cannot consume this service';
const ERR_UNAUTHORIZED = 'Unauthorized';
/** what authentication plugins without consumers (ldap, oauth2 in Kong) put in ctx.shared */
export const AUTHENTICATED_GROUPS = 'authenticated_groups';
const AUTHENTICATED_GROUPS_HEADER = 'x-authenticated-groups';

interface ConsumerGroups {
  /** the consumer's acls, in the config's order (id order, as the control plane sends them) */
  acls: readonly Acl[];
  groups: string[];
  set: ReadonlySet<string>;
  /** X-Consumer-Groups: the groups joined by ", " */
  header: string;
}

interface AclState {
  deny: boolean;
  groups: readonly string[];
  hideGroupsHeader: boolean;
  alwaysUseAuthenticatedGroups: boolean;
  byConsumer: LayeredMap<string, ConsumerGroups>;
  /** consumer id -> true (blocked) or the header value to send */
  verdicts: Map<string, true | string>;
}

function groupsOf(acls: readonly Acl[]): ConsumerGroups {
  const groups = acls.map((a) => a.group);
  return { acls, groups, set: new Set(groups), header: groups.join(', ') };
}

const byId = (a: Acl, b: Acl) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const GROUP_INDEX: ConfigIndex<LayeredMap<string, ConsumerGroups>> = {
  key: 'acl:groups',
  *build(config) {
    const lists = new Map<string, Acl[]>();
    yield* forEachInSteps((config as { acls?: Acl[] }).acls, (acl) => {
      const list = lists.get(acl.consumer.id);
      if (list) list.push(acl);
      else lists.set(acl.consumer.id, [acl]);
    });
    const index = new Map<string, ConsumerGroups>();
    yield* forEachInSteps([...lists], ([id, acls]) => index.set(id, groupsOf(acls)));
    return new LayeredMap(index);
  },
  /** the groups of the consumers whose acls the delta changed, again; their acls kept in id order */
  *update(prev, changes) {
    const dropped = (changes.dropped.acls ?? []) as Acl[];
    const upserted = (changes.upserted.acls ?? []) as Acl[];
    const gone = new Set([...dropped, ...upserted].map((a) => a.id));
    const touched = new Map<string, Acl[]>();
    for (const a of [...dropped, ...upserted])
      if (!touched.has(a.consumer.id)) touched.set(a.consumer.id, (prev.get(a.consumer.id)?.acls ?? []).filter((x) => !gone.has(x.id)));
    for (const a of upserted) touched.get(a.consumer.id)?.push(a);
    const emptied = [...touched].filter(([, acls]) => acls.length === 0).map(([id]) => id);
    const regrouped = [...touched].filter(([, acls]) => acls.length > 0).map(([id, acls]) => [id, groupsOf(acls.sort(byId))] as const);
    return yield* prev.withSteps(emptied, regrouped);
  },
};

/** true when the request is refused; otherwise the groups header value (Kong's get_to_be_blocked). */
function verdict(s: AclState, has: (g: string) => boolean, header: string): true | string {
  const inGroup = s.groups.some(has);
  return (s.deny ? inGroup : !inGroup) ? true : header;
}

function authenticatedGroups(ctx: PluginContext): string[] | null {
  const groups = ctx.shared.get(AUTHENTICATED_GROUPS);
  return Array.isArray(groups) && groups.length ? (groups as string[]) : null;
}

function refuse(ctx: PluginContext): void {
  // no identity at all is 401; an identified caller outside the groups is 403
  if (ctx.credential) ctx.error(403, ERR_FORBIDDEN);
  else ctx.error(401, ERR_UNAUTHORIZED);
}

function checkAuthenticatedGroups(ctx: PluginContext, s: AclState, groups: string[]): void {
  const set = new Set(groups);
  const result = verdict(s, (g) => set.has(g), groups.join(', '));
  if (result === true) return ctx.error(403, ERR_FORBIDDEN);
  if (!s.hideGroupsHeader) ctx.setHeader(AUTHENTICATED_GROUPS_HEADER, result);
}

function checkConsumer(ctx: PluginContext, s: AclState, consumerId: string): void {
  let result = s.verdicts.get(consumerId);
  if (result === undefined) {
    const entry = s.byConsumer.get(consumerId);
    // a consumer without groups passes a deny list and fails an allow list
    if (!entry && !s.deny) return refuse(ctx);
    result = verdict(s, (g) => entry?.set.has(g) ?? false, entry?.header ?? '');
    s.verdicts.set(consumerId, result);
  }
  if (result === true) return ctx.error(403, ERR_FORBIDDEN);
  const groups = s.byConsumer.get(consumerId)?.groups ?? [];
  ctx.groups = groups;
  if (!s.hideGroupsHeader && result !== '') ctx.setHeader(CONSUMER_HEADERS.groups, result);
}

export const aclHandler: PluginHandler<AclState> = {
  name: aclSchema.name,
  priority: aclSchema.priority,
  version: aclSchema.version,
  configure(config, env) {
    const deny = (config.deny as string[] | null) ?? [];
    return {
      deny: deny.length > 0,
      groups: deny.length > 0 ? deny : ((config.allow as string[] | null) ?? []),
      hideGroupsHeader: config.hide_groups_header as boolean,
      alwaysUseAuthenticatedGroups: config.always_use_authenticated_groups as boolean,
      byConsumer: env.index(GROUP_INDEX),
      verdicts: new Map(),
    };
  },
  indexes: () => [GROUP_INDEX],
  access(ctx, s) {
    const consumerId = ctx.consumer?.id;
    // groups given by an authentication plugin win when there is no consumer, when the consumer is
    // the anonymous one, or when always_use_authenticated_groups is on
    const useAuthenticated = !consumerId || !ctx.credential || s.alwaysUseAuthenticatedGroups;
    const authenticated = useAuthenticated ? authenticatedGroups(ctx) : null;
    if (authenticated) return checkAuthenticatedGroups(ctx, s, authenticated);
    if (!consumerId) return refuse(ctx);
    checkConsumer(ctx, s, consumerId);
  },
};
