// Plotly's JupyterLab renderer as `pip install plotly` (5.x) installs it: the renderer module of the
// jupyterlab-plotly npm package, and nothing else of it (its widget half needs ipywidgets).
// webpack.config.js points its `import('plotly.js/dist/plotly')` at the plotly.js cellfit ships.
export { default } from 'jupyterlab-plotly/lib/plotly-renderer.js';
