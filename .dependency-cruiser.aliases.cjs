// Read by dependency-cruiser as a webpack config (options.webpackConfig in .dependency-cruiser.cjs),
// for one thing: SvelteKit's `$lib` alias (web/svelte.config.js).
module.exports = { resolve: { alias: { $lib: `${__dirname}/web/src/lib` } } };
