/** reaper: filled in by its issue. */
export {};
