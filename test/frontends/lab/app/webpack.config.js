// Builds the test front end with @jupyterlab/builder's own webpack rules (the ones JupyterLab's
// extensions are built with) into CELLFIT_LAB_BUILD, a cache folder that build.js names after
// the lockfile and the build's sources.
const path = require('node:path');
const { merge } = require('webpack-merge');
const { Build } = require('@jupyterlab/builder');
const base = require('@jupyterlab/builder/lib/webpack.config.base');
const { jupyterlab } = require('./package.json');

const output = process.env.CELLFIT_LAB_BUILD;
if (!output || !path.isAbsolute(output)) throw new Error('CELLFIT_LAB_BUILD must name the (absolute) build folder: run `npm run build`, which sets it.');

// The plotly.js cellfit ships (its dependency plotly.js-dist-min), for plotly's renderer: the
// same code draws the charts in both configurations.
const repository = path.resolve(__dirname, '../../../..');
const plotly = require.resolve('plotly.js-dist-min/plotly.min.js', { paths: [repository] });

// Copies the extensions' settings schemas and builds the theme into the output; writes style.js.
const assets = Build.ensureAssets({ packageNames: jupyterlab.extensions, output });

module.exports = [
  merge(base, {
    mode: 'development',
    // Built once and cached; no source maps keeps the build (and the bundle) small.
    devtool: false,
    entry: path.join(__dirname, 'index.js'),
    output: { path: output, filename: 'bundle.js', chunkFilename: '[name].[contenthash:8].js' },
    resolve: {
      // style.js lives in the build folder, outside this one: its imports resolve from here.
      modules: [path.join(__dirname, 'node_modules'), 'node_modules'],
      alias: {
        'cellfit-lab-style$': path.join(output, 'style.js'),
        'plotly.js/dist/plotly$': plotly,
      },
    },
    // A prebuilt UMD bundle: parsing it for imports only costs build time.
    module: { noParse: [plotly] },
    performance: { hints: false },
  }),
  ...assets,
];
