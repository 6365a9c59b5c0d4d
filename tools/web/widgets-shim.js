// Staged by alexnet_repro.runner: embed-amd.js and its icon fonts are served next to this file,
// not from a CDN; tell the widget manager and require.js (loaded after this file) where.
var __widgets_here__ = new URL('.', document.currentScript.src).href;
window.__jupyter_widgets_assets_path__ = __widgets_here__;
// ipywidgets typesets labels with MathJax 2's MathJax.Hub.Queue; the book loads MathJax 3,
// which has no Hub: give every MathJax object (MathJax 3 replaces the config object when it
// starts) a Hub.Queue that typesets with MathJax 3 instead of throwing.
(function () {
  var current = window.MathJax;
  function withHub(mj) {
    if (mj && typeof mj === 'object' && !mj.Hub) {
      mj.Hub = {Queue: function (job) {
        var element = job && job[2];
        if (element && current && current.typesetPromise) {
          current.typesetPromise([element]).catch(function () {});
        }
      }};
    }
    return mj;
  }
  Object.defineProperty(window, 'MathJax', {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
  withHub(current);
})();
// The bundled widget modules take their font paths from their require.js address.
var require = {paths: {
  '@jupyter-widgets/html-manager/dist': __widgets_here__.replace(/\/$/, ''),
  '@jupyter-widgets': __widgets_here__.replace(/\/$/, '')
}};
