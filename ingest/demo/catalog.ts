/**
 * Reference data of the demo world: regions, countries and cities (with phone numbering), names,
 * products, deal products, competitors, account owners and the demo dashboard users. Everything is
 * static so the generator's output depends on the seed alone.
 */

export type RegionName = 'DACH' | 'Nordics' | 'UK&I' | 'France' | 'Benelux' | 'Southern Europe';
export type Currency = 'EUR' | 'GBP' | 'USD';

/** EUR per unit of each currency (what the ingest mapping converts with); EUR is the base. */
export const CURRENCY_RATES: Readonly<Record<Currency, number>> = { USD: 0.92, GBP: 1.17, EUR: 1 };

export interface City {
  name: string;
  /** Area code without the trunk prefix. */
  area: string;
  weight: number;
}

export interface Country {
  code: string;
  name: string;
  region: RegionName;
  /** Share of customers. */
  weight: number;
  callingCode: string;
  /** National trunk prefix dropped in international format ('0' in most of Europe, '' where the leading digit is part of the number). */
  trunk: '0' | '';
  currency: 'EUR' | 'GBP';
  names: NameSet;
  legalForms: string[];
  cities: City[];
}

export interface NameSet {
  first: string[];
  last: string[];
}

const german: NameSet = {
  first: ['Anna', 'Lena', 'Julia', 'Sophie', 'Marie', 'Katharina', 'Laura', 'Jana', 'Sabine', 'Lukas', 'Jonas', 'Felix', 'Maximilian', 'Paul', 'Tobias', 'Jürgen', 'Stefan', 'Michael', 'Björn', 'Jörg'],
  last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Zimmermann', 'Braun', 'Krüger', 'Köhler'],
};
const nordic: NameSet = {
  first: ['Erik', 'Lars', 'Anders', 'Johan', 'Mikael', 'Nils', 'Søren', 'Mads', 'Henrik', 'Oskar', 'Emma', 'Ingrid', 'Astrid', 'Freja', 'Maja', 'Sofia', 'Linnea', 'Aino', 'Eeva', 'Sigrid'],
  last: ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsen', 'Hansen', 'Jensen', 'Nielsen', 'Pedersen', 'Korhonen', 'Virtanen', 'Mäkinen', 'Nieminen', 'Berg', 'Lindqvist', 'Håkansson', 'Ødegård', 'Dahl', 'Holm'],
};
const british: NameSet = {
  first: ['Oliver', 'George', 'Harry', 'Jack', 'James', 'William', 'Thomas', 'Seán', 'Liam', 'Conor', 'Olivia', 'Amelia', 'Isla', 'Emily', 'Grace', 'Siobhán', 'Aoife', 'Charlotte', 'Sophie', 'Chloe'],
  last: ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Robinson', 'Wright', 'Thompson', 'Evans', 'Walker', "O'Brien", 'Murphy', 'Kelly', "O'Sullivan", 'Walsh', 'MacDonald', 'Byrne'],
};
const french: NameSet = {
  first: ['Louis', 'Gabriel', 'Léo', 'Jules', 'Hugo', 'Arthur', 'Raphaël', 'Théo', 'Lucas', 'Nathan', 'Léa', 'Chloé', 'Manon', 'Camille', 'Inès', 'Zoé', 'Éloïse', 'Juliette', 'Margaux', 'Amélie'],
  last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'Fournier', 'Girard', 'Bonnet', 'Rousseau', 'Faure'],
};
const dutch: NameSet = {
  first: ['Daan', 'Sem', 'Lucas', 'Levi', 'Finn', 'Bram', 'Thijs', 'Jesse', 'Ruben', 'Wout', 'Emma', 'Julia', 'Mila', 'Sophie', 'Tess', 'Fenna', 'Noor', 'Lotte', 'Anouk', 'Saar'],
  last: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'Peeters', 'Maes', 'Jacobs', 'Willems', 'Claes', 'Goossens', 'Wouters', 'Dubois'],
};
const spanish: NameSet = {
  first: ['Alejandro', 'Pablo', 'Daniel', 'Javier', 'Álvaro', 'Sergio', 'Hugo', 'Mateo', 'Iñaki', 'Lucía', 'María', 'Paula', 'Martina', 'Sofía', 'Carmen', 'Elena', 'Noelia', 'Nuria'],
  last: ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Muñoz', 'Álvarez', 'Romero', 'Núñez', 'Navarro'],
};
const italian: NameSet = {
  first: ['Leonardo', 'Francesco', 'Alessandro', 'Lorenzo', 'Mattia', 'Andrea', 'Gabriele', 'Riccardo', 'Tommaso', 'Niccolò', 'Giulia', 'Sofia', 'Aurora', 'Alice', 'Ginevra', 'Beatrice', 'Chiara', 'Francesca', 'Martina', 'Elena'],
  last: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'Gallo', 'Conti', 'De Luca', 'Mancini', 'Costa', 'Giordano', 'Rizzo', 'Lombardi', 'Moretti'],
};
const portuguese: NameSet = {
  first: ['João', 'Rodrigo', 'Martim', 'Tomás', 'Francisco', 'Duarte', 'Afonso', 'Santiago', 'Maria', 'Leonor', 'Matilde', 'Beatriz', 'Carolina', 'Inês', 'Mariana', 'Ana'],
  last: ['Silva', 'Santos', 'Ferreira', 'Pereira', 'Oliveira', 'Costa', 'Rodrigues', 'Martins', 'Sousa', 'Fernandes', 'Gonçalves', 'Gomes', 'Lopes', 'Marques', 'Alves', 'Ribeiro'],
};

export const COUNTRIES: readonly Country[] = [
  { code: 'DE', name: 'Germany', region: 'DACH', weight: 20, callingCode: '49', trunk: '0', currency: 'EUR', names: german, legalForms: ['GmbH', 'AG', 'GmbH & Co. KG'],
    cities: [{ name: 'Berlin', area: '30', weight: 5 }, { name: 'Hamburg', area: '40', weight: 3 }, { name: 'München', area: '89', weight: 3 }, { name: 'Köln', area: '221', weight: 2 }, { name: 'Frankfurt am Main', area: '69', weight: 2 }, { name: 'Stuttgart', area: '711', weight: 1.5 }, { name: 'Leipzig', area: '341', weight: 1 }, { name: 'Düsseldorf', area: '211', weight: 1.2 }] },
  { code: 'AT', name: 'Austria', region: 'DACH', weight: 5, callingCode: '43', trunk: '0', currency: 'EUR', names: german, legalForms: ['GmbH', 'AG'],
    cities: [{ name: 'Wien', area: '1', weight: 5 }, { name: 'Graz', area: '316', weight: 1.5 }, { name: 'Linz', area: '732', weight: 1.2 }, { name: 'Salzburg', area: '662', weight: 1 }] },
  { code: 'CH', name: 'Switzerland', region: 'DACH', weight: 5, callingCode: '41', trunk: '0', currency: 'EUR', names: german, legalForms: ['AG', 'GmbH'],
    cities: [{ name: 'Zürich', area: '44', weight: 4 }, { name: 'Genève', area: '22', weight: 2 }, { name: 'Basel', area: '61', weight: 1.5 }, { name: 'Bern', area: '31', weight: 1.5 }] },
  { code: 'SE', name: 'Sweden', region: 'Nordics', weight: 5, callingCode: '46', trunk: '0', currency: 'EUR', names: nordic, legalForms: ['AB'],
    cities: [{ name: 'Stockholm', area: '8', weight: 4 }, { name: 'Göteborg', area: '31', weight: 2 }, { name: 'Malmö', area: '40', weight: 1.5 }] },
  { code: 'DK', name: 'Denmark', region: 'Nordics', weight: 3, callingCode: '45', trunk: '', currency: 'EUR', names: nordic, legalForms: ['ApS', 'A/S'],
    cities: [{ name: 'København', area: '3', weight: 4 }, { name: 'Aarhus', area: '8', weight: 2 }, { name: 'Odense', area: '6', weight: 1 }] },
  { code: 'NO', name: 'Norway', region: 'Nordics', weight: 2, callingCode: '47', trunk: '', currency: 'EUR', names: nordic, legalForms: ['AS'],
    cities: [{ name: 'Oslo', area: '2', weight: 4 }, { name: 'Bergen', area: '5', weight: 2 }, { name: 'Trondheim', area: '7', weight: 1 }] },
  { code: 'FI', name: 'Finland', region: 'Nordics', weight: 2, callingCode: '358', trunk: '0', currency: 'EUR', names: nordic, legalForms: ['Oy'],
    cities: [{ name: 'Helsinki', area: '9', weight: 4 }, { name: 'Tampere', area: '3', weight: 1.5 }, { name: 'Turku', area: '2', weight: 1 }] },
  { code: 'GB', name: 'United Kingdom', region: 'UK&I', weight: 12, callingCode: '44', trunk: '0', currency: 'GBP', names: british, legalForms: ['Ltd', 'PLC'],
    cities: [{ name: 'London', area: '20', weight: 6 }, { name: 'Manchester', area: '161', weight: 2 }, { name: 'Birmingham', area: '121', weight: 2 }, { name: 'Edinburgh', area: '131', weight: 1.2 }, { name: 'Glasgow', area: '141', weight: 1.2 }, { name: 'Bristol', area: '117', weight: 1 }] },
  { code: 'IE', name: 'Ireland', region: 'UK&I', weight: 3, callingCode: '353', trunk: '0', currency: 'EUR', names: british, legalForms: ['Ltd', 'DAC'],
    cities: [{ name: 'Dublin', area: '1', weight: 4 }, { name: 'Cork', area: '21', weight: 1.5 }, { name: 'Galway', area: '91', weight: 1 }] },
  { code: 'FR', name: 'France', region: 'France', weight: 15, callingCode: '33', trunk: '0', currency: 'EUR', names: french, legalForms: ['SAS', 'SARL', 'SA'],
    cities: [{ name: 'Paris', area: '1', weight: 6 }, { name: 'Lyon', area: '4', weight: 2 }, { name: 'Marseille', area: '4', weight: 2 }, { name: 'Toulouse', area: '5', weight: 1.5 }, { name: 'Nantes', area: '2', weight: 1.2 }, { name: 'Lille', area: '3', weight: 1.2 }, { name: 'Bordeaux', area: '5', weight: 1.2 }] },
  { code: 'NL', name: 'Netherlands', region: 'Benelux', weight: 7, callingCode: '31', trunk: '0', currency: 'EUR', names: dutch, legalForms: ['B.V.', 'N.V.'],
    cities: [{ name: 'Amsterdam', area: '20', weight: 4 }, { name: 'Rotterdam', area: '10', weight: 2.5 }, { name: 'Utrecht', area: '30', weight: 1.5 }, { name: 'Den Haag', area: '70', weight: 1.5 }] },
  { code: 'BE', name: 'Belgium', region: 'Benelux', weight: 4, callingCode: '32', trunk: '0', currency: 'EUR', names: dutch, legalForms: ['BV', 'SA', 'NV'],
    cities: [{ name: 'Bruxelles', area: '2', weight: 3 }, { name: 'Antwerpen', area: '3', weight: 2 }, { name: 'Gent', area: '9', weight: 1.5 }] },
  { code: 'LU', name: 'Luxembourg', region: 'Benelux', weight: 1, callingCode: '352', trunk: '', currency: 'EUR', names: french, legalForms: ['S.à r.l.', 'S.A.'],
    cities: [{ name: 'Luxembourg', area: '4', weight: 3 }, { name: 'Esch-sur-Alzette', area: '5', weight: 1 }] },
  { code: 'ES', name: 'Spain', region: 'Southern Europe', weight: 7, callingCode: '34', trunk: '', currency: 'EUR', names: spanish, legalForms: ['S.L.', 'S.A.'],
    cities: [{ name: 'Madrid', area: '91', weight: 4 }, { name: 'Barcelona', area: '93', weight: 3.5 }, { name: 'Valencia', area: '96', weight: 1.5 }, { name: 'Sevilla', area: '95', weight: 1.2 }] },
  { code: 'IT', name: 'Italy', region: 'Southern Europe', weight: 6, callingCode: '39', trunk: '', currency: 'EUR', names: italian, legalForms: ['S.r.l.', 'S.p.A.'],
    cities: [{ name: 'Milano', area: '02', weight: 4 }, { name: 'Roma', area: '06', weight: 3.5 }, { name: 'Torino', area: '011', weight: 1.5 }, { name: 'Napoli', area: '081', weight: 1.5 }] },
  { code: 'PT', name: 'Portugal', region: 'Southern Europe', weight: 3, callingCode: '351', trunk: '', currency: 'EUR', names: portuguese, legalForms: ['Lda.', 'S.A.'],
    cities: [{ name: 'Lisboa', area: '21', weight: 3 }, { name: 'Porto', area: '22', weight: 2 }, { name: 'Braga', area: '253', weight: 1 }] },
];

export const REGIONS: readonly RegionName[] = ['DACH', 'Nordics', 'UK&I', 'France', 'Benelux', 'Southern Europe'];

export const EMAIL_DOMAINS = ['mail.example', 'inbox.example', 'post.example', 'webmail.example', 'posteo.example'];

export const COMPANY_WORDS = ['Nordlicht', 'Alpen', 'Rhein', 'Hansa', 'Baltic', 'Atlas', 'Meridian', 'Aurora', 'Polar', 'Helix', 'Vertex', 'Orion', 'Kestrel', 'Lumen', 'Falcon', 'Summit', 'Harbor', 'Cedar', 'Granite', 'Iris', 'Nova', 'Zenith', 'Sapphire', 'Thistle', 'Beacon', 'Riverside', 'Oakwood', 'Silverline', 'Bluewater', 'Evergreen'];
export const COMPANY_TRADES = ['Logistics', 'Construction', 'Consulting', 'Systems', 'Medical', 'Foods', 'Retail', 'Engineering', 'Hotels', 'Studio', 'Energy', 'Labs', 'Partners', 'Solutions', 'Digital', 'Architects', 'Dental', 'Legal', 'Print', 'Automotive'];

export type Category = 'Electronics' | 'Home & Kitchen' | 'Outdoor' | 'Fashion' | 'Beauty' | 'Books & Media' | 'Sports' | 'Office';

export interface Product {
  id: string;
  name: string;
  category: Category;
  /** List price in EUR cents. */
  price: number;
}

const productTable: Record<Category, [string, number][]> = {
  Electronics: [['Wireless Earbuds Pro', 129], ['Noise-Cancelling Headphones', 249], ['4K Action Camera', 299], ['Smart Watch S2', 199], ['Bluetooth Speaker Mini', 59], ['USB-C Charger 65W', 39], ['Tablet 10" 64GB', 279], ['E-Reader Paperwhite', 139]],
  'Home & Kitchen': [['Espresso Machine Duo', 449], ['Chef\'s Knife 8", Damascus', 119], ['Cast Iron Skillet 28cm', 59], ['Cotton Bed Linen Set', 89], ['Ceramic Mug Set (4)', 34], ['Robot Vacuum V3', 329], ['Air Fryer XL', 129], ['Scented Candle Trio', 24]],
  Outdoor: [['Trail Backpack 30L', 119], ['2-Person Tent', 249], ['Down Sleeping Bag', 199], ['Trekking Poles (pair)', 69], ['Headlamp 400lm', 35], ['Insulated Bottle 750ml', 29], ['Rain Jacket Storm', 159], ['Camping Stove', 79]],
  Fashion: [['Merino Sweater', 99], ['Denim Jacket', 89], ['Leather Belt', 45], ['Wool Scarf', 39], ['Sneakers Urban', 119], ['Chino Trousers', 69], ['Linen Shirt', 59], ['Winter Coat', 229]],
  Beauty: [['Face Serum 30ml', 39], ['Repair Shampoo 250ml', 14], ['Eau de Parfum 50ml', 79], ['Hand Cream Trio', 19], ['Electric Toothbrush', 89], ['Ionic Hair Dryer', 99], ['Lip Balm Set', 12], ['Beard Trimmer', 59]],
  'Books & Media': [['Cookbook "Nordic Kitchen"', 32], ['Paperback Novel', 12], ['Strategy Board Game', 45], ['Vinyl Record', 29], ['Puzzle 1000 pcs', 19], ["Children's Picture Book", 15], ['Travel Guide Europe', 24], ['Audiobook Gift Card', 25]],
  Sports: [['Yoga Mat 6mm', 39], ['Running Shoes Tempo', 139], ['Dumbbell Set 20kg', 89], ['Cycling Helmet', 79], ['Fitness Tracker Band', 69], ['Tennis Racket Pro', 159], ['Football Size 5', 29], ['Swim Goggles', 19]],
  Office: [['Ergonomic Office Chair', 349], ['Standing Desk', 599], ['Printer Paper A4 (5×500)', 29], ['Monitor 27" QHD', 329], ['LED Desk Lamp', 49], ['Toner Cartridge XL', 89], ['Whiteboard 120×90', 119], ['Conference Speakerphone', 189]],
};

export const CATEGORIES = Object.keys(productTable) as Category[];

export const PRODUCTS: readonly Product[] = CATEGORIES.flatMap((category, ci) =>
  productTable[category].map(([name, price], pi) => ({ id: `P-${(ci + 1) * 100 + pi + 1}`, name, category, price: price * 100 - 1 })),
);

/** Share of purchases by category for persons and businesses. */
export const CATEGORY_WEIGHTS: Readonly<Record<'person' | 'business', readonly number[]>> = {
  person: [18, 17, 12, 17, 12, 10, 10, 4],
  business: [28, 10, 3, 2, 2, 3, 2, 50],
};

/** Seasonal tilt per category by month (Jan..Dec): gifts in December, outdoor in summer, sport in January. */
export const CATEGORY_SEASON: Readonly<Record<Category, readonly number[]>> = {
  Electronics: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1, 1, 1.4, 1.6],
  'Home & Kitchen': [1, 1, 1, 1, 1, 1, 1, 1, 1, 1.1, 1.2, 1.3],
  Outdoor: [0.6, 0.6, 0.9, 1.2, 1.5, 1.7, 1.7, 1.5, 1.1, 0.8, 0.6, 0.7],
  Fashion: [1.1, 0.9, 1, 1.1, 1, 1, 1.1, 0.9, 1.1, 1.2, 1.2, 1.2],
  Beauty: [1, 1.2, 1, 1, 1.1, 1, 1, 1, 1, 1, 1.2, 1.5],
  'Books & Media': [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1, 1, 1, 1, 1.2, 1.8],
  Sports: [1.5, 1.2, 1.1, 1.1, 1.1, 1, 1, 1, 1, 0.9, 0.9, 0.9],
  Office: [1.1, 1, 1.1, 1, 1, 0.8, 0.7, 0.8, 1.3, 1.1, 1, 0.9],
};

export type Channel = 'web' | 'store' | 'phone' | 'partner' | 'marketplace';
export const CHANNELS: readonly Channel[] = ['web', 'store', 'phone', 'partner', 'marketplace'];
export const CHANNEL_WEIGHTS: Readonly<Record<'person' | 'business', readonly number[]>> = {
  person: [52, 24, 4, 6, 14],
  business: [35, 5, 30, 28, 2],
};

export const ACQUISITION: Readonly<Record<'person' | 'business', readonly (readonly [string, number])[]>> = {
  person: [['organic_search', 26], ['paid_search', 18], ['paid_social', 14], ['store', 16], ['marketplace', 10], ['referral', 9], ['email', 4], ['partner', 3]],
  business: [['sales_outbound', 30], ['partner', 22], ['trade_fair', 14], ['organic_search', 14], ['referral', 14], ['paid_search', 6]],
};

/** What account owners sell to businesses: name, amount range in EUR. */
export interface DealProduct {
  name: string;
  min: number;
  max: number;
}
export const DEAL_PRODUCTS: readonly DealProduct[] = [
  { name: 'Supply Contract', min: 8_000, max: 60_000 },
  { name: 'Office Fit-out', min: 25_000, max: 250_000 },
  { name: 'Managed Service Plan', min: 12_000, max: 90_000 },
  { name: 'Electronics Rollout', min: 15_000, max: 150_000 },
  { name: 'Custom Merchandise', min: 3_000, max: 30_000 },
  { name: 'Premium Support Add-on', min: 2_000, max: 12_000 },
];

/** Competitors met in deals ('' = none named), with how often they appear. */
export const COMPETITORS: readonly (readonly [string, number])[] = [['', 34], ['Acme', 22], ['Globex', 15], ['Initech', 14], ['Umbrella', 10], ['Hooli', 5]];

export const LOSS_REASONS = ['price', 'competitor', 'product_fit', 'timing', 'no_decision', 'support_experience'] as const;
export type LossReason = (typeof LOSS_REASONS)[number];

export const DEAL_STAGES = ['prospecting', 'qualification', 'proposal', 'negotiation'] as const;

export interface DemoUser {
  user_id: string;
  email: string;
  name: string;
  role: 'executive' | 'marketer' | 'analyst' | 'owner' | 'admin';
  owner_id: string;
  region: RegionName | '';
}

const ownerNames = ['Katrin Vogel', 'Markus Brandt', 'Elin Sandberg', 'Jesper Lund', 'Hannah Clarke', "Ryan O'Neill", 'Claire Dupont', 'Julien Moreau', 'Sanne de Wit', 'Pieter Claes', 'Giulia Ferri', 'Diego Alonso'];

/** Twelve account owners, two per region: U-OWN-01/02 DACH, 03/04 Nordics, … 11/12 Southern Europe. */
export const OWNERS: readonly DemoUser[] = ownerNames.map((name, i) => {
  const n = String(i + 1).padStart(2, '0');
  return { user_id: `U-OWN-${n}`, email: `owner${n}@demo.local`, name, role: 'owner', owner_id: `U-OWN-${n}`, region: REGIONS[Math.floor(i / 2)] };
});

export const DEMO_USERS: readonly DemoUser[] = [
  { user_id: 'U-EXEC-01', email: 'exec@demo.local', name: 'Eva Lindholm', role: 'executive', owner_id: '', region: '' },
  { user_id: 'U-MKT-01', email: 'marketer@demo.local', name: 'Marco Bauer', role: 'marketer', owner_id: '', region: '' },
  { user_id: 'U-ANL-01', email: 'analyst@demo.local', name: 'Amira Haddad', role: 'analyst', owner_id: '', region: '' },
  { user_id: 'U-ADM-01', email: 'admin@demo.local', name: 'Alex Admin', role: 'admin', owner_id: '', region: '' },
  ...OWNERS,
];

export const SUBJECTS = {
  support_ticket: ['Where is my order?', 'Change of delivery address', 'Question about my invoice', 'Cannot log in to my account', 'Warranty claim', 'Product question: sizing', 'Voucher code not accepted'],
  return_request: ['Return request', 'Item arrived damaged', 'Wrong item delivered'],
  complaint: ['Late delivery — again', 'Refund still not received', 'Poor product quality', 'Unfriendly staff in store', 'Charged twice for one order', 'Nobody answers my e-mails'],
  chat: ['Chat: order status', 'Chat: product advice', 'Chat: voucher code', 'Chat: opening hours'],
  support_call: ['Call: delivery status', 'Call: refund', 'Call: warranty'],
  question: ['Question on the proposal', 'Pricing question', 'Delivery schedule?', 'Can you send the references?'],
  sales_call: ['Call: account review', 'Call: follow-up on proposal', 'Call: renewal', 'Call: introduction'],
  meeting: ['Quarterly business review', 'On-site demo', 'Contract negotiation', 'Kick-off meeting'],
} as const;
