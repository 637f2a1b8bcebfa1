/** spawn: filled in by its issue. */
export {};
