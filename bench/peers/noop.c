/* The statically linked no-op child: bind-mounted over /bin/true for the "static"
 * workloads, so exec costs no dynamic loading and the spawner's own cost shows. */
int main(void) { return 0; }
