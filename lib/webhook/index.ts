/**
 * Signed webhooks (HMAC-SHA256), their verification and their retry policy: one module for every
 * sender (alerts/ digests, the dashboard's campaign pushes) and for receivers.
 */
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER, signWebhook, verifyWebhookSignature, signedHeaders } from './sign.ts';
export { DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, nextRetryDelayMs, type RetryPolicy } from './retry-policy.ts';
export { WebhookError, isRetryableError, postSignedJson, sendWebhook, type PostOptions, type SendOptions, type SendResult } from './post.ts';
