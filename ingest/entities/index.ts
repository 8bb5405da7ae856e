import { campaignMembers } from './campaign-members.ts';
import { campaigns } from './campaigns.ts';
import { consents } from './consents.ts';
import { customers } from './customers.ts';
import { interactions } from './interactions.ts';
import { opportunities } from './opportunities.ts';
import { transactions } from './transactions.ts';
import type { EntityName, EntitySpec } from './types.ts';
import { users } from './users.ts';

export type { EntityName, EntitySpec, FieldSpec, FieldType } from './types.ts';

export const ENTITIES: Readonly<Record<EntityName, EntitySpec>> = {
  customers,
  transactions,
  interactions,
  opportunities,
  campaigns,
  campaign_members: campaignMembers,
  users,
  consents,
};

export const ENTITY_NAMES = Object.keys(ENTITIES) as EntityName[];

export function entitySpec(name: string): EntitySpec {
  const spec = (ENTITIES as Record<string, EntitySpec | undefined>)[name];
  if (!spec) throw new Error(`unknown entity "${name}" (expected one of: ${ENTITY_NAMES.join(', ')})`);
  return spec;
}
