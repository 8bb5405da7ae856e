/**
 * A suggested next step per customer, chosen by rule from the topic of the top reason (the topics
 * of models/churn/reasons.ts). Deliberately plain: the owner knows the account; the step says
 * where to start.
 */
import { REASON_TOPICS } from '../models/index.ts';

export const NEXT_STEPS: Readonly<Record<string, string>> = {
  complaints: 'Call to resolve the open complaint.',
  satisfaction: 'Call to ask what went wrong and agree a fix.',
  support: 'Check their open support tickets and follow up personally.',
  recency: 'Call to check in and make an offer tailored to what they used to buy.',
  frequency: 'Suggest a reorder or a subscription for what they buy regularly.',
  spend: 'Review their recent orders and offer a volume or loyalty discount.',
  email: 'Stop the automated e-mails and reach out personally.',
  contact: 'Schedule a call or meeting: nobody has spoken to them for a while.',
  web: 'Send a personal offer; they no longer visit the website.',
  deals: 'Review their open and lost deals with them.',
  refunds_365d: 'Check the refunded orders for a product or delivery problem.',
  tenure_days: 'Run an onboarding check-in: new customers leave early.',
};

export const DEFAULT_NEXT_STEP = 'Call to check in and ask how things are going.';

/** The step for a customer whose strongest reason is `feature` (a churn feature name). */
export function nextStepFor(feature: string | undefined): string {
  if (!feature) return DEFAULT_NEXT_STEP;
  const topic = REASON_TOPICS[feature] ?? feature;
  return NEXT_STEPS[topic] ?? DEFAULT_NEXT_STEP;
}
