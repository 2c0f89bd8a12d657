"""ipclab's harness: sandboxes, cooperating processes and IPC state for checks."""
