/** The churn tests' data: a synthetic history with a planted signal (models/churn/synthetic-history.ts). */
export { generateFixture, loadFixture, type FixtureOptions, type FixtureTruth } from '../../../models/churn/synthetic-history.ts';
