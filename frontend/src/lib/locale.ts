import { createLocale, enUS } from 'naive-ui'

// naive-ui's English locale fills an empty placeholder with "Please Input" /
// "Please Select", which tells nobody what to type. Every field gives its own
// placeholder (an example of what goes there); this locale makes sure a field
// that forgets shows nothing rather than that text.
export const appLocale = createLocale(
  {
    Input: { placeholder: '' },
    InputNumber: { placeholder: '' },
    Select: { placeholder: '' },
    Cascader: { placeholder: '' },
    TimePicker: { placeholder: '' },
  },
  enUS,
)
