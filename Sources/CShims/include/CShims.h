#ifndef IMBENCH_CSHIMS_H
#define IMBENCH_CSHIMS_H
/// Asks the kernel to send SIGKILL to this process when its parent dies, so a sweep worker
/// never outlives a killed sweep (where it would hold its job's lock while a rerun starts).
/// Returns 0 on success, -1 where unsupported or on error.
int imbench_die_with_parent(void);
#endif
