// Small DOM helpers shared by the console's scripts (loaded first).
(() => {
  // "{name}" placeholders of a text filled from values.
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  window.ConsoleDom = { el, fill };
})();
