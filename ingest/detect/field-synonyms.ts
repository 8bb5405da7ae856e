import type { EntityName } from '../entities/types.ts';

/**
 * How real exports name the canonical fields: generic spellings (English and German), and the
 * headers of the exports people bring most (Shopify orders, Stripe charges, HubSpot contacts and
 * deals, Salesforce contacts and opportunities, as the products write them). Compared by
 * headerKey() (case, spaces and punctuation ignored). Earlier entries win when several columns of
 * a file could fill a field.
 */
export const SYNONYMS: Partial<Record<EntityName, Record<string, readonly string[]>>> = {
  transactions: {
    transaction_id: ['transaction_id', 'transaction', 'txn_id', 'line_id', 'order_line_id', 'line_item_id', 'lineitem_id', 'position_id', 'charge_id', 'payment_id', 'Buchungsnr', 'Positionsnr', 'id'],
    order_id: ['order_id', 'order', 'order_no', 'order_number', 'order_nr', 'order_ref', 'order_reference', 'invoice', 'invoice_no', 'invoice_number', 'invoice_id', 'invoice_num', 'receipt', 'receipt_number', 'no', 'num', 'number', 'doc_number', 'document_number', 'Bestellnr', 'Bestellnummer', 'Auftragsnr', 'Rechnungsnr', 'Belegnr'],
    // Ids first, then e-mails, then names (NAME_REFS): B2B exports are often keyed by the account's name only.
    customer_ref: ['customer_ref', 'customer_id', 'customer', 'customer_no', 'customer_number', 'customer_nr', 'client_id', 'client', 'account_id', 'buyer_id', 'member_id', 'Kundennr', 'Kundennummer', 'Kunde', 'customer_email', 'email', 'e_mail', 'email_address', 'from_email_address', 'billing_email', 'payer_email', 'buyer_email', 'Kunden-E-Mail', 'contact_name', 'contact', 'customer_name', 'client_name', 'company', 'company_name', 'account_name', 'organization', 'organisation', 'billing_company', 'billing_name', 'Kundenname', 'Firma'],
    order_date: ['order_date', 'order_time', 'ordered_at', 'purchase_date', 'transaction_date', 'invoice_date', 'created_at', 'created', 'created_utc', 'date', 'timestamp', 'time', 'date_time', 'Bestelldatum', 'Datum', 'Belegdatum'],
    // A report's transaction type says Invoice or Credit Memo (QuickBooks): the status when there is no status column.
    status: ['status', 'order_status', 'financial_status', 'payment_status', 'state', 'Bestellstatus', 'Zustand', 'transaction_type', 'Belegart'],
    amount: ['amount', 'line_amount', 'line_total', 'item_amount', 'item_total', 'total', 'revenue', 'sales', 'net_amount', 'gross', 'gross_amount', 'gross_sales', 'net_sales', 'total_sales', 'order_total', 'order_total_amount', 'value', 'dollar_value', 'Betrag', 'Umsatz', 'Summe', 'Gesamtbetrag', 'Gesamtpreis'],
    // Prices of one unit: the load computes amount = unit_price × quantity. A bare "Price"/"Preis" is
    // a unit price only beside a quantity column (AMBIGUOUS_UNIT_PRICES; else it is the amount).
    unit_price: ['unit_price', 'price_per_unit', 'price_each', 'unit_cost', 'unit_amount', 'item_price', 'item_rate', 'lineitem_price', 'Einzelpreis', 'Stückpreis', 'Preis pro Stück', 'Stueckpreis', 'price', 'Preis'],
    currency: ['currency', 'currency_code', 'Währung', 'Waehrung'],
    quantity: ['quantity', 'qty', 'lineitem_quantity', 'item_quantity', 'item_qty', 'units', 'items', 'items_sold', 'number_of_items', 'Menge', 'Anzahl', 'Stück'],
    product_id: ['product_id', 'sku', 'lineitem_sku', 'article_no', 'article', 'item_id', 'product_code', 'stock_code', 'item_code', 'inventory_item_code', 'Artikelnr', 'Artikel', 'Artikelnummer'],
    product_name: ['product_name', 'product', 'product_s', 'products', 'item_name', 'item', 'lineitem_name', 'description', 'memo_description', 'item_title', 'memo', 'title', 'Artikelname', 'Bezeichnung'],
    category: ['category', 'product_category', 'product_type', 'Kategorie', 'Warengruppe'],
    channel: ['channel', 'sales_channel', 'source_name', 'Kanal', 'Vertriebskanal'],
    updated_at: ['updated_at', 'last_modified', 'modified_at', 'Geändert'],
    // Per line: the part of this line's amount given back (an order-level refund is not: see Shopify).
    refunded_amount: ['refunded_amount', 'amount_refunded', 'refund_amount', 'total_refunded', 'Erstattungsbetrag', 'erstattet_betrag'],
  },
  customers: {
    source_id: ['source_id', 'customer_id', 'contact_id', 'record_id', 'customer_no', 'customer_number', 'client_id', 'account_id', 'id', 'customer', 'Kundennr', 'Kundennummer'],
    name: ['name', 'full_name', 'customer_name', 'contact_name', 'display_name', 'Kundenname'],
    email: ['email', 'e_mail', 'email_address', 'mail', 'E-Mail-Adresse'],
    phone: ['phone', 'phone_number', 'telephone', 'tel', 'mobile', 'mobile_phone', 'Telefon', 'Telefonnummer', 'Handy'],
    company: ['company', 'company_name', 'account_name', 'organization', 'organisation', 'Firma', 'Unternehmen'],
    country: ['country', 'country_code', 'country_region', 'mailing_country', 'billing_country', 'Land'],
    city: ['city', 'town', 'mailing_city', 'billing_city', 'Ort', 'Stadt'],
    region: ['region', 'state', 'province', 'territory', 'mailing_state', 'Bundesland'],
    signup_date: ['signup_date', 'customer_since', 'registration_date', 'registered_at', 'first_seen', 'date_joined', 'created_at', 'create_date', 'created_date', 'created', 'Kunde seit', 'Anmeldedatum'],
    acquisition_channel: ['acquisition_channel', 'lead_source', 'original_source', 'source_channel', 'channel', 'utm_source', 'Kanal'],
    owner_id: ['owner_id', 'contact_owner', 'account_owner', 'owner', 'sales_rep', 'Betreuer'],
    customer_type: ['customer_type', 'type', 'Kundentyp'],
    external_ids: ['external_ids'],
    updated_at: ['updated_at', 'last_modified_date', 'last_modified', 'lastmodifieddate'],
  },
  opportunities: {
    // Pipedrive writes "Deal - Title", "Deal - Value", …: their keys are listed with the deal_ prefix.
    opportunity_id: ['opportunity_id', 'deal_id', 'opportunity', 'record_id', 'id'],
    customer_ref: ['customer_ref', 'customer_id', 'contact_id', 'contactid', 'associated_contact_ids', 'associated_contact_id', 'account_id', 'accountid', 'company_id', 'associated_company_ids', 'contact_email', 'email', 'organization', 'organisation', 'deal_organization', 'account_name', 'company', 'company_name', 'associated_company', 'contact_person', 'deal_contact_person', 'customer', 'customer_name', 'client'],
    owner_id: ['owner_id', 'ownerid', 'deal_owner', 'opportunity_owner', 'owner'],
    name: ['name', 'deal_name', 'opportunity_name', 'deal_title', 'title'],
    product: ['product', 'product_line'],
    amount: ['amount', 'deal_amount', 'deal_value', 'value'],
    currency: ['currency', 'currency_code', 'currencyisocode', 'deal_currency_code', 'deal_currency', 'currency_of_value', 'deal_currency_of_value'],
    status: ['status', 'deal_status', 'result'],
    stage: ['stage', 'deal_stage', 'stagename', 'stage_name', 'pipeline_stage'],
    loss_reason: ['loss_reason', 'closed_lost_reason', 'lost_reason', 'reason_lost', 'deal_lost_reason'],
    competitor: ['competitor', 'main_competitor'],
    created_at: ['created_at', 'create_date', 'created_date', 'createddate', 'created', 'deal_created', 'deal_deal_created', 'add_time', 'deal_add_time'],
    closed_at: ['closed_at', 'close_date', 'closedate', 'date_closed', 'deal_closed_on', 'deal_deal_closed_on', 'close_time', 'deal_close_time'],
    expected_close_at: ['expected_close_at', 'expected_close_date', 'deal_expected_close_date'],
    notes: ['notes', 'description'],
    updated_at: ['updated_at', 'last_modified_date', 'lastmodifieddate'],
  },
  interactions: {
    interaction_id: ['interaction_id', 'activity_id', 'ticket_id', 'event_id', 'id'],
    customer_ref: ['customer_ref', 'customer_id', 'contact_id', 'requester_id', 'customer', 'email', 'requester_email', 'email_address', 'customer_email', 'requester', 'organization', 'company', 'account_name', 'customer_name'],
    occurred_at: ['occurred_at', 'activity_date', 'timestamp', 'created_at', 'created', 'date', 'time', 'sent_time', 'timestamp_utc'],
    type: ['type', 'activity_type', 'event_type', 'interaction_type', 'action'],
    channel: ['channel'],
    direction: ['direction'],
    outcome: ['outcome', 'result', 'resolution'],
    csat: ['csat', 'satisfaction', 'rating'],
    campaign_id: ['campaign_id', 'campaign'],
    owner_id: ['owner_id', 'agent', 'owner', 'assignee', 'assignee_id'],
    subject: ['subject', 'title'],
    duration_seconds: ['duration_seconds', 'duration'],
  },
};

/** customer_ref spellings that name the customer rather than identify it: the draft says what keying by a name means. */
export const NAME_REFS: readonly string[] = ['contact_name', 'contact', 'customer_name', 'client_name', 'company', 'company_name', 'account_name', 'organization', 'organisation', 'deal_organization', 'billing_company', 'billing_name', 'kundenname', 'firma', 'associated_company', 'contact_person', 'deal_contact_person', 'requester'];

/** unit_price spellings that mean the amount when the file has no quantity column. */
export const AMBIGUOUS_UNIT_PRICES: readonly string[] = ['price', 'preis'];

/** Exports recognised by their headers (headerKey form): the source name the draft proposes and the columns that must be read their way. */
export interface ExportProfile {
  product: string;
  entity: EntityName;
  /** Every key must be a header of the file. */
  signature: readonly string[];
  /** Said in the draft's $comment: what the mapping cannot express for this export. */
  note?: string;
  /** Columns the product fills differently from what the generic synonyms would assume (headerKey → field, or '' for not used). */
  columns: Record<string, string>;
  /** Amounts are in the currency's minor unit (cents): the draft sets currency.minorUnits. */
  minorUnits?: boolean;
  /** Rows that are not sales by a field's value (the draft's "skip"). */
  skip?: Record<string, readonly string[]>;
  /** How rows become orders when the export has no order id (the draft's orders.by). */
  ordersBy?: 'line';
  /** Added to the entity's score when the signature matches (default 10): more for an export that another profile's signature also matches (an unsubscribe export is an audience export too). */
  bonus?: number;
  /** Fields the export says by what it is, not per row (the draft's constants): an unsubscribe export's status. */
  constants?: Record<string, string>;
}

export const PROFILES: readonly ExportProfile[] = [
  {
    product: 'shopify',
    entity: 'transactions',
    signature: ['name', 'financial_status', 'lineitem_name'],
    note: '"Lineitem price" is the price of one unit: each line\'s amount is Lineitem price × Lineitem quantity (unit_price); the order-level Subtotal and Total are not used. "Refunded Amount" is the whole order\'s, on its first line only (order_refunded_amount): each refunded order gets one credit line "<order>:order-refund" of that amount, dated like the order (the export does not say when the refund was made), so net revenue falls by it once per order, however often the order is re-exported; a fully refunded order\'s first line is refunded and its credit is the rest of the refund. Shopify\'s Refunded Amount also holds refunded shipping and taxes, which the lines\' revenue does not include: check it against the refunds report if you refund shipping',
    // One row per line item; Name (#1001) is the order; order-level columns are filled on its first line only.
    columns: { name: 'order_id', email: 'customer_ref', created_at: 'order_date', financial_status: 'status', lineitem_price: 'unit_price', lineitem_quantity: 'quantity', lineitem_sku: 'product_id', lineitem_name: 'product_name', currency: 'currency', source: 'channel', id: '', total: '', subtotal: '', paid_at: '', payment_id: '', payment_reference: '', refunded_amount: 'order_refunded_amount' },
  },
  {
    product: 'stripe',
    entity: 'transactions',
    signature: ['id', 'created_utc', 'amount', 'amount_refunded'],
    note: 'Amount Refunded is read (refunded_amount): a charge refunded in full loads as refunded, one refunded in part stays a sale and its refunded part loads as a credit line of its own (dated like the charge: the export does not say when the refund was made)',
    columns: { id: 'transaction_id', customer_id: 'customer_ref', created_utc: 'order_date', amount: 'amount', amount_refunded: 'refunded_amount', currency: 'currency', status: 'status', description: 'product_name', customer_email: '', converted_amount: '', converted_amount_refunded: '' },
  },
  {
    // The API's (and Sigma's) charge objects, not the dashboard's export: amounts in cents, times as epoch seconds.
    product: 'stripe',
    entity: 'transactions',
    signature: ['id', 'amount', 'amount_refunded', 'created', 'currency'],
    note: 'amounts are in the currency\'s minor unit, as Stripe\'s API writes them (4900 = 49.00 USD; currency.minorUnits). amount_refunded is read (refunded_amount, also in minor units): a charge refunded in full loads as refunded (its status says succeeded), one refunded in part stays a sale and its refunded part loads as a credit line of its own, dated like the charge',
    columns: { id: 'transaction_id', customer: 'customer_ref', created: 'order_date', amount: 'amount', currency: 'currency', status: 'status', description: 'product_name', amount_refunded: 'refunded_amount', refunded: '', amount_captured: '' },
    minorUnits: true,
  },
  {
    // PayPal's activity download: one row per money movement, in its own currency. Refunds and
    // reversals are rows of their own with a negative Gross; conversions, withdrawals, holds and
    // deposits move money without selling anything.
    product: 'paypal',
    entity: 'transactions',
    signature: ['gross', 'fee', 'net', 'transaction_id', 'type'],
    note: 'Gross is the sale (Fee and Net are PayPal\'s cut and what you kept: not read); each payment is its own order (orders.by line); Type is kept as the channel and rows that sell nothing (currency conversions, withdrawals, deposits, holds, authorizations) are left out by "skip" — add other such types you see. A refund row (negative Gross) loads as a credit line of the buyer: PayPal writes your own address in its From Email Address, so the credit takes the customer and order of the payment its Reference Txn ID names (reference_id), found in this file or among the payments already loaded; a refund of a payment in neither is rejected (load the download with that payment first, then this one again)',
    columns: { date: 'order_date', time: '', timezone: '', time_zone: '', name: '', type: 'channel', status: 'status', currency: 'currency', gross: 'amount', fee: '', net: '', from_email_address: 'customer_ref', to_email_address: '', transaction_id: 'transaction_id', item_title: 'product_name', item_id: 'product_id', quantity: 'quantity', reference_txn_id: 'reference_id', invoice_number: '', receipt_id: '', balance: '', subject: '', note: '', balance_impact: '', shipping_and_handling_amount: '', insurance_amount: '', sales_tax: '' },
    skip: {
      channel: ['General Currency Conversion', 'Currency Conversion', 'General Withdrawal', 'General Credit Card Withdrawal', 'General Credit Card Deposit', 'Bank Deposit to PP Account', 'General Authorization', 'Void of Authorization', 'Hold on Balance for Dispute Investigation', 'Reversal of General Account Hold', 'Account Hold for Open Authorization', 'Payment Review Hold', 'Payment Review Release', 'Transfer to PayPal account', 'General Hold', 'General Hold Release', 'User Initiated Withdrawal'],
    },
    ordersBy: 'line',
  },
  {
    // Mailchimp's audience export, unsubscribed_members_export_*.csv: one row per address that
    // unsubscribed, UNSUB_TIME in UTC. Each is a withdrawal of e-mail marketing consent.
    product: 'mailchimp',
    entity: 'consents',
    signature: ['email_address', 'unsub_time'],
    note: 'an unsubscribed-members export: every row is a withdrawal of e-mail marketing consent (constants: status withdrawn, purpose marketing_email — set your own purpose if CRM_CONSENT_PURPOSES names it differently — channel email_link) at UNSUB_TIME (UTC), the evidence the campaign it was unsubscribed from (UNSUB_CAMPAIGN_TITLE); the reason (UNSUB_REASON) is not read. The customer is EUID, Mailchimp\'s id of the address: load the audience exports as customers first (detect --entity customers: source_id EUID, email Email Address, which links them to your other systems\' customers by e-mail)',
    columns: { euid: 'customer_ref', email_address: '', unsub_time: 'occurred_at', unsub_campaign_title: 'evidence', optin_time: '', confirm_time: '', last_changed: '', cc: '', region: '', leid: '' },
    constants: { status: 'withdrawn', purpose: 'marketing_email', channel: 'email_link' },
    bonus: 20,
  },
  {
    // Mailchimp's audience exports (subscribed, unsubscribed, cleaned members): EUID is Mailchimp's
    // id of the address, the customer the unsubscribes (consents) name.
    product: 'mailchimp',
    entity: 'customers',
    signature: ['email_address', 'euid', 'leid'],
    columns: { euid: 'source_id', email_address: 'email', phone_number: 'phone', cc: 'country', region: 'region', last_changed: 'updated_at', leid: '', optin_time: '', confirm_time: '', unsub_time: '' },
  },
  { product: 'hubspot', entity: 'opportunities', signature: ['record_id', 'deal_stage'], columns: {} },
  { product: 'hubspot', entity: 'customers', signature: ['record_id', 'lifecycle_stage'], columns: { record_id: 'source_id', contact_owner: 'owner_id', create_date: 'signup_date' } },
  { product: 'salesforce', entity: 'opportunities', signature: ['stagename', 'iswon'], columns: { id: 'opportunity_id', contactid: 'customer_ref', accountid: '' } },
  { product: 'salesforce', entity: 'customers', signature: ['contact_id', 'contact_owner'], columns: { contact_id: 'source_id', account_name: 'company', contact_owner: 'owner_id', created_date: 'signup_date' } },
];

/** Spellings of enum values in real exports → canonical value, per entity and field. */
export const VALUE_SYNONYMS: Record<string, Record<string, readonly string[]>> = {
  'transactions.status': {
    completed: ['paid', 'succeeded', 'success', 'successful', 'complete', 'completed', 'fulfilled', 'closed', 'captured', 'authorized', 'authorised', 'awaiting payment', 'invoice', 'sales receipt', 'sale', 'rechnung', 'partially_refunded', 'partially refunded', 'shipped', 'delivered', 'bezahlt', 'abgeschlossen', 'geliefert'],
    refunded: ['refunded', 'returned', 'refund', 'reversed', 'erstattet', 'zurückerstattet', 'retoure'],
    cancelled: ['cancelled', 'canceled', 'voided', 'void', 'deleted', 'failed', 'declined', 'denied', 'storniert', 'abgebrochen'],
    // Xero's invoices: AUTHORISED (approved, awaiting payment) is a sale made, as an authorized card payment is; DRAFT and SUBMITTED are not yet.
    pending: ['pending', 'open', 'unpaid', 'processing', 'on hold', 'on_hold', 'partially_paid', 'draft', 'submitted', 'awaiting approval', 'offen', 'ausstehend', 'entwurf'],
    credit: ['credit', 'credit_note', 'credit note', 'credit memo', 'credit_memo', 'refund receipt', 'gutschrift'],
  },
  'customers.customer_type': {
    person: ['person', 'individual', 'private', 'consumer', 'b2c', 'privat', 'privatkunde'],
    business: ['business', 'company', 'organization', 'organisation', 'b2b', 'firma', 'geschäftskunde'],
  },
  // Mailchimp's campaign activity ("Action": open, click, bounce) and ticket systems.
  'interactions.type': {
    email_open: ['open', 'opened', 'email_opened'],
    email_click: ['click', 'clicked', 'email_clicked'],
    email_sent: ['sent', 'delivered', 'email_delivered'],
    support_ticket: ['ticket', 'question', 'incident', 'problem', 'task'],
    call: ['phone', 'phone_call', 'call_logged'],
  },
  'interactions.direction': { inbound: ['in', 'incoming', 'inbound', 'eingehend'], outbound: ['out', 'outgoing', 'outbound', 'ausgehend'] },
};

/** Deal stages name their outcome: "Closed Won", "closedlost", "Gewonnen"; every other stage is open. */
export function dealStatusOf(stage: string): 'won' | 'lost' | 'open' {
  const s = stage.toLowerCase();
  if (/won|gewonnen/.test(s)) return 'won';
  if (/lost|verloren/.test(s)) return 'lost';
  return 'open';
}
