import { HELPER_VERBS, type HelperVerbName } from "./helperVerbs.js";

/** Whether a string names a helper verb; own keys only, so "constructor" or "__proto__" are not verbs. */
export function isHelperVerbName(name: string): name is HelperVerbName {
  return Object.hasOwn(HELPER_VERBS, name);
}
