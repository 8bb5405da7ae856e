// See https://svelte.dev/docs/kit/types#app.d.ts
import type { LiveSession } from '$lib/server/session-check.ts';

declare global {
  namespace App {
    interface Locals {
      /** The signed-in user, verified live by hooks.server.ts on this request; undefined when signed out. */
      user?: LiveSession;
      /** Set by hooks.server.ts on every request: logged with any failure and shown to the user. */
      requestId: string;
    }
    interface PageData {
      user?: { name: string; email: string; role: import('$lib/auth/roles.ts').Role; ownerId?: string };
      /** Last day with data (YYYY-MM-DD): default date ranges end here. */
      asOf: string;
    }
    interface Error {
      message: string;
      requestId?: string;
    }
  }
}

export {};
