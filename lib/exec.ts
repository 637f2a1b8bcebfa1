/** exec: filled in by its issue. */
export {};
