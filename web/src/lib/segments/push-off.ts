/**
 * What the segments page says when pushing is off because CAMPAIGN_WEBHOOK_URL is unset (issue 15:
 * the button used to vanish without a word). The dashboard does not serve the README, so the
 * section is named rather than linked: a link would lead to a 404.
 */
export const PUSH_OFF_HINT =
  'Push to campaign is off: set CAMPAIGN_WEBHOOK_URL to your campaign tool’s webhook and restart (README.md, section “Configuration”).';
