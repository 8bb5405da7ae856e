// See https://svelte.dev/docs/kit/types#app.d.ts
import type { Session } from '$lib/server/session.ts';

declare global {
  namespace App {
    interface Locals {
      /** The signed-in user (hooks.server.ts), undefined on the sign-in page. */
      user?: Session;
    }
    interface PageData {
      user?: { name: string; email: string; role: import('$lib/auth/roles.ts').Role; ownerId?: string };
      /** Last day with data (YYYY-MM-DD): default date ranges end here. */
      asOf: string;
    }
    interface Error {
      message: string;
    }
  }
}

export {};
