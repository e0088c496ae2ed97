// Accessibility gaps in Naive UI 2.45's markup that its props cannot reach,
// each reported by axe (WCAG 2.1 A/AA) on this app's screens:
// - a card's header has role="heading" twice (on the header, which also
//   holds its buttons, and on the title inside it) and no aria-level
//   (aria-required-attr): the wrapper loses the role, the title gets a level;
// - a form item's <label> is not tied to the input it names (label): the
//   input gets aria-labelledby pointing at the label's text;
// - an aria-label given to <n-input> lands on its wrapper <div>, not on the
//   <input> it is meant to name: the input gets it too;
// - a data table's selection radio or checkbox has no label (label): it gets
//   "Select" and the row's first cell;
// - a number input's −/+ buttons hold only an icon (button-name): they get
//   "Decrease"/"Increase";
// - a data table's scrolling body cannot be reached by keyboard when nothing
//   in it is focusable (scrollable-region-focusable): it joins the tab order.
// fixNaiveAria applies these under root now and to whatever is rendered
// later (dialogs are teleported to the body, so the app passes document.body).

const HEADER = '.n-card-header[role="heading"]'
const TITLE = '.n-card-header__main[role="heading"]:not([aria-level])'
const FORM_ITEM = '.n-form-item'
const NUMBER_INPUT = '.n-input-number'
const TABLE_BODY = '.n-data-table-base-table-body .n-scrollbar-container:not([tabindex])'
const NAMED_INPUT = '.n-input[aria-label]'
const ROW_PICK = '.n-data-table-td--selection input:not([aria-label])'
const FIELD = '.n-form-item-blank input:not([type="hidden"]):not([type="radio"]):not([type="checkbox"]), .n-form-item-blank textarea'

let labelIds = 0

// all: el itself when it matches, and its descendants that do.
function all(el: Element, selector: string): Element[] {
  return [...(el.matches(selector) ? [el] : []), ...el.querySelectorAll(selector)]
}

function linkLabel(item: Element) {
  const text = item.querySelector(':scope > .n-form-item-label .n-form-item-label__text')
  if (!text?.textContent?.trim()) return
  for (const field of item.querySelectorAll(FIELD)) {
    if (field.closest(FORM_ITEM) !== item || field.hasAttribute('aria-label') || field.hasAttribute('aria-labelledby')) continue
    if (!text.id) text.id = `form-label-${++labelIds}`
    field.setAttribute('aria-labelledby', text.id)
  }
}

function fix(el: Element) {
  all(el, HEADER).forEach((h) => h.setAttribute('role', 'none'))
  all(el, TITLE).forEach((h) => h.setAttribute('aria-level', '3'))
  // A field rendered into a form item later (v-if) is linked to the item's label too.
  const owner = el.parentElement?.closest(FORM_ITEM)
  ;[...(owner ? [owner] : []), ...all(el, FORM_ITEM)].forEach(linkLabel)
  const numbers = [...(el.parentElement?.closest(NUMBER_INPUT) ? [el.parentElement.closest(NUMBER_INPUT)!] : []), ...all(el, NUMBER_INPUT)]
  for (const n of numbers) {
    const [minus, plus] = n.querySelectorAll('.n-input__suffix > .n-button')
    minus?.setAttribute('aria-label', 'Decrease')
    plus?.setAttribute('aria-label', 'Increase')
  }
  all(el, TABLE_BODY).forEach((b) => b.setAttribute('tabindex', '0'))
  for (const pick of all(el, ROW_PICK)) {
    const first = pick.closest('tr')?.querySelector('td:not(.n-data-table-td--selection)')
    pick.setAttribute('aria-label', `Select ${first?.textContent?.trim() || 'this row'}`)
  }
  const named = el.parentElement?.closest(NAMED_INPUT)
  for (const n of [...(named ? [named] : []), ...all(el, NAMED_INPUT)]) {
    n.querySelectorAll('input:not([aria-label]), textarea:not([aria-label])').forEach((i) => i.setAttribute('aria-label', n.getAttribute('aria-label')!))
  }
}

export function fixNaiveAria(root: Element): MutationObserver {
  fix(root)
  const observer = new MutationObserver((records) => {
    for (const r of records) r.addedNodes.forEach((n) => n instanceof Element && fix(n))
  })
  observer.observe(root, { childList: true, subtree: true })
  return observer
}
