// cellfit's test front end: JupyterLab 4.6 assembled from npm packages, as JupyterLab's own
// examples/app does. Only what the browser tests need is registered; plotly's renderer is loaded
// unless the server's page config disables `jupyterlab-plotly` (disabledExtensions), so one build
// serves both tested configurations: "Lab with plotly installed" and "Lab without it".
import { JupyterLab } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';

// Assets (CSS, fonts, chunks) load from the server's static URL, known only at run time.
// eslint-disable-next-line no-undef
__webpack_public_path__ = PageConfig.getOption('fullStaticUrl') + '/';

const styles = import('cellfit-lab-style');

const LEFT_OUT = [':language-server', ':search', ':toc', ':update-raw-mimetype'];

/** A package's plugins, whether it exports one plugin or a list, as an ES or CommonJS module. */
function plugins(module) {
  const exported = Object.prototype.hasOwnProperty.call(module, '__esModule') ? module.default : module;
  return Array.isArray(exported) ? exported : [exported];
}

window.addEventListener('load', async () => {
  await styles;
  // Keep in step with jupyterlab.extensions in package.json (whose schemas the build copies).
  const extensions = await Promise.all([
    import('@jupyterlab/application-extension'),
    import('@jupyterlab/apputils-extension'),
    import('@jupyterlab/codemirror-extension'),
    import('@jupyterlab/completer-extension'),
    import('@jupyterlab/docmanager-extension'),
    import('@jupyterlab/filebrowser-extension'),
    import('@jupyterlab/mainmenu-extension'),
    // Left out: the language-server plugin (it needs a server extension) and the ones that need
    // extensions this front end does not have (document search, table of contents, metadata form).
    import('@jupyterlab/notebook-extension').then((module) => plugins(module).filter(({ id }) => !LEFT_OUT.some((suffix) => id.endsWith(suffix)))),
    import('@jupyterlab/rendermime-extension'),
    import('@jupyterlab/markedparser-extension'),
    import('@jupyterlab/shortcuts-extension'),
    import('@jupyterlab/statusbar-extension'),
    import('@jupyterlab/theme-light-extension'),
    import('@jupyterlab/translation-extension'),
    import('@jupyterlab/ui-components-extension'),
  ]);
  const mimeExtensions = [import('@jupyterlab/javascript-extension'), import('@jupyterlab/json-extension')];
  if (!PageConfig.Extension.isDisabled('jupyterlab-plotly')) mimeExtensions.push(import('./plotly-extension'));
  const lab = new JupyterLab({ mimeExtensions: await Promise.all(mimeExtensions) });
  lab.registerPlugins(extensions.flatMap(plugins));
  await lab.start();
  await lab.restored;
  // The tests wait for this (and read the app through it).
  window.cellfitLab = lab;
  console.log('cellfit lab: restored');
});
