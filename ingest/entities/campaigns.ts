import type { EntitySpec } from './types.ts';

export const campaigns: EntitySpec = {
  name: 'campaigns',
  table: 'campaigns',
  key: ['campaign_id'],
  idField: 'campaign_id',
  sourceIsColumn: false,
  fields: [
    { name: 'campaign_id', type: 'id', required: true, doc: 'campaign id' },
    { name: 'name', type: 'string', doc: 'campaign name' },
    { name: 'channel', type: 'string', doc: 'email, paid_social, …' },
    { name: 'objective', type: 'string', doc: 'retention, acquisition, upsell, …' },
    { name: 'segment_id', type: 'id', doc: 'target segment' },
    { name: 'started_at', type: 'date', nullable: true, doc: 'start date' },
    { name: 'ended_at', type: 'date', nullable: true, doc: 'end date' },
    { name: 'budget', type: 'decimal', min: 0, default: '0', doc: 'budget in the base currency (≥ 0)' },
  ],
};
