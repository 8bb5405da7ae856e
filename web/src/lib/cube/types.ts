import type { Granularity } from '../format/format.ts';

/**
 * The slice of Cube's REST query format the dashboard uses (https://cube.dev/docs/product/apis-integrations/rest-api/query-format).
 * Kept local and plain so query builders stay pure and testable without the client library.
 */
export type FilterOperator =
  | 'equals'
  | 'notEquals'
  | 'contains'
  | 'notContains'
  | 'startsWith'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'set'
  | 'notSet'
  | 'inDateRange'
  | 'beforeDate'
  | 'afterDate';

export interface MemberFilter {
  member: string;
  operator: FilterOperator;
  values?: string[];
}

export type CubeFilter = MemberFilter | { or: CubeFilter[] } | { and: CubeFilter[] };

export interface TimeDimension {
  dimension: string;
  granularity?: Granularity;
  dateRange?: [string, string];
}

export type Order = [string, 'asc' | 'desc'][];

export interface CubeQuery {
  measures?: string[];
  dimensions?: string[];
  timeDimensions?: TimeDimension[];
  filters?: CubeFilter[];
  order?: Order;
  limit?: number;
  offset?: number;
  /** Ask for the total row count (pagination). */
  total?: boolean;
  timezone?: string;
}

/** One result row, keyed by member name (time dimensions with a granularity: `view.member.month`). */
export type Row = Record<string, string | number | boolean | null>;

export interface QueryResult {
  rows: Row[];
  /** Present when the query asked for `total`. */
  total?: number;
}

/** The key under which a time dimension with a granularity comes back. */
export const timeKey = (dimension: string, granularity: Granularity): string => `${dimension}.${granularity}`;
