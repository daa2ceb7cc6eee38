// Step through every state of a reveal.js deck (each slide, each vertical slide, each fragment)
// and report what would not read in a lecture hall.  Used by tests/browsing.py:
// page.evaluate(<this file>, limits) returns {states, problems}.
//
// limits: {width, height (the canvas, px), body_min_px, code_min_px, math_min_px (on screen),
//          figure_min_scale, notes (true: every slide of substance needs speaker notes),
//          leaves (how many slides the deck's file has: sections without sections inside)}
// Each problem: {h, v, f (the state: Reveal.slide(h, v, f)), first (the slide's first words),
//                kind ("overflow", "small", "figure" or "notes"), what (a sentence)}.
// Each state: {h, v, f, first, bottom (the lowest content, px from the canvas top), figure (the
//              largest figure's height, px)}.
//
// Lengths are measured on screen and divided by the canvas's scale (so they are canvas px,
// whatever the window); at 1280 x 720 the scale is 1.
async (limits) => {
  const slides = Reveal.getSlidesElement();
  const canvas = () => slides.getBoundingClientRect();
  const scale = canvas().height / limits.height;
  const shown = (el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const arrows = () => [...document.querySelectorAll('.reveal .controls .controls-arrow')]
    .filter((a) => shown(a) && a.getBoundingClientRect().width > 0)
    .map((a) => a.getBoundingClientRect());
  const clip = (text) => {
    const t = text.replace(/\s+/g, ' ').trim();
    return t.length > 40 ? t.slice(0, 40) + '...' : t;
  };
  const prose = (section) => {
    const copy = section.cloneNode(true);
    copy.querySelectorAll('aside.notes, mjx-container, .jp-CodeCell, style, script').forEach((e) => e.remove());
    return copy.textContent.replace(/\s+/g, ' ').trim();
  };
  const firstWords = (section) => {        // a space between blocks, none between code tokens
    let text = '', block = null;
    const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node && text.length < 60; node = walker.nextNode()) {
      const el = node.parentElement;
      if (el.closest('aside.notes, style, script, mjx-container, a.anchor-link')) continue;
      const here = el.closest('p, li, h1, h2, h3, h4, h5, h6, pre, td, th, blockquote');
      text += (here !== block ? ' ' : '') + node.textContent;
      block = here;
    }
    return clip(text);
  };

  // Checks one slide (its content in the page), every state of it; adds to states and problems.
  const checkSlide = async (h, v, section, states, problems) => {
    const first = firstWords(section);
    if (limits.notes) {
      const words = prose(section).split(' ').filter(Boolean).length;
      const substance = section.querySelector('img, .jp-OutputArea-output') || words >= 12;
      const notes = [...section.querySelectorAll('aside.notes')].some((a) => a.textContent.trim());
      if (substance && !notes)
        problems.push({h, v, f: -1, first, kind: 'notes',
                       what: 'no speaker notes (a Markdown cell tagged "notes" after its content)'});
    }
    const fragments = section.querySelectorAll('.fragment').length;
    for (let f = -1; f < fragments; f++) {
      Reveal.slide(h, v, f);
      // A font the slide is the first to use (MathJax's come on demand) starts loading when the
      // slide is laid out: measured before it arrives, the text would be set in a fallback font.
      canvas();
      if (document.fonts.status === 'loading') {
        await document.fonts.ready;
        Reveal.layout();           // centred again, with the fonts' own sizes
      }
      const box = canvas(), controls = arrows(), found = new Map();
      let bottom = 0, figure = 0;
      const report = (kind, key, what) => { if (!found.has(key)) found.set(key, {kind, what}); };
      const place = (r, what) => {
        if (r.width === 0 && r.height === 0) return;
        const top = (r.top - box.top) / scale, low = (r.bottom - box.top) / scale;
        const left = (r.left - box.left) / scale, right = (r.right - box.left) / scale;
        bottom = Math.max(bottom, low);
        if (low > limits.height + 0.5)
          report('overflow', 'bottom', `${what} is cut off: it ends ${Math.round(low - limits.height)} px below the bottom`);
        if (top < -0.5)
          report('overflow', 'top', `${what} is cut off: it starts ${Math.round(-top)} px above the top`);
        if (right > limits.width + 0.5)
          report('overflow', 'right', `${what} is cut off: it ends ${Math.round(right - limits.width)} px past the right edge`);
        if (left < -0.5)
          report('overflow', 'left', `${what} is cut off: it starts ${Math.round(-left)} px left of the slide`);
        if (controls.some((a) => r.left < a.right && r.right > a.left && r.top < a.bottom && r.bottom > a.top))
          report('overflow', 'arrows', `${what} is under the navigation arrows (bottom right)`);
      };
      const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!node.textContent.trim() || el.closest('aside.notes, script, style, mjx-container')
            || !shown(el)) continue;
        const code = !!el.closest('pre, .jp-OutputArea, .jp-CodeCell .jp-InputArea');
        const what = `${code ? 'code or output' : 'text'} "${clip(node.textContent)}"`;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) place(r, what);
        const px = parseFloat(getComputedStyle(el).fontSize) * scale;
        const min = code ? limits.code_min_px : limits.body_min_px;
        if (px < min - 0.05)
          report('small', `small:${code}`, `${what} is ${px.toFixed(1)} px on screen (at least ${min})`);
      }
      section.querySelectorAll('mjx-container').forEach((math) => {
        if (!shown(math)) return;
        place(math.getBoundingClientRect(), 'an equation');
        const px = parseFloat(getComputedStyle(math).fontSize) * scale;
        if (px < limits.math_min_px - 0.05)
          report('small', 'small:math', `an equation is ${px.toFixed(1)} px on screen (at least ${limits.math_min_px}): split it`);
      });
      section.querySelectorAll('img').forEach((img) => {
        if (!shown(img)) return;
        const r = img.getBoundingClientRect();
        place(r, 'a figure');
        figure = Math.max(figure, r.height / scale);
        const shrunk = r.height / scale / img.naturalHeight;
        if (shrunk < limits.figure_min_scale - 0.005)
          report('figure', 'figure', `a figure is shown at ${Math.round(shrunk * 100)}% of the size it was ` +
                 `drawn at (${img.naturalWidth} x ${img.naturalHeight} px; at least ` +
                 `${Math.round(limits.figure_min_scale * 100)}%): its text is too small to read; draw it ` +
                 'smaller (a smaller figsize) or give it more of the slide');
      });
      section.querySelectorAll('pre, .jp-OutputArea-output, .jp-InputArea-editor, mjx-container').forEach((el) => {
        const style = getComputedStyle(el);
        if (shown(el) && style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
          report('overflow', 'scroll', `"${clip(el.textContent)}" scrolls sideways ` +
                 `(${el.scrollWidth} px of content in a ${el.clientWidth} px box)`);
        if (shown(el) && style.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1)
          report('overflow', 'scroll-y', `"${clip(el.textContent)}" scrolls up and down ` +
                 `(${el.scrollHeight} px of content in a ${el.clientHeight} px box)`);
      });
      for (const {kind, what} of found.values()) problems.push({h, v, f, first, kind, what});
      states.push({h, v, f, first, bottom: Math.round(bottom), figure: Math.round(figure)});
    }
  };

  // Each slide's content is in the page only while that slide is checked, parked outside it the
  // rest of the time.  A slide is its own 1280 x 720 box: its layout does not depend on the other
  // slides' content.  But reveal.js restyles, lays out and searches every slide of the page at
  // each step: with them all in, a step took 10-14 ms, two thirds of the check.
  const stacks = [...slides.querySelectorAll(':scope > section')].map((stack) => {
    const leaves = [...stack.querySelectorAll(':scope > section')];
    return leaves.length ? leaves : [stack];
  });
  const parked = new Map(stacks.flat().map((section) => {
    const holder = document.createDocumentFragment();
    holder.append(...section.childNodes);
    return [section, holder];
  }));
  const states = [], problems = [];
  try {
    for (const [h, leaves] of stacks.entries()) {
      for (const [v, section] of leaves.entries()) {
        section.append(parked.get(section));
        await checkSlide(h, v, section, states, problems);
        parked.get(section).append(...section.childNodes);
      }
    }
  } finally {
    for (const [section, holder] of parked) section.append(holder);
  }
  Reveal.slide(0, 0, -1);
  const leaves = stacks.flat().length;
  if (leaves !== limits.leaves)
    problems.push({h: -1, v: -1, f: -1, first: 'the whole deck', kind: 'overflow',
                   what: `the deck shows ${leaves} slides, its file has ${limits.leaves}`});
  return {states, problems};
}
