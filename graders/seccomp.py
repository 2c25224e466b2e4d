"""The seccomp filter bubblewrap installs in the sandbox (``bwrap --seccomp FD``): no user namespaces.

bubblewrap's own ``--disable-userns`` needs ``--unshare-user``, which the default (root) mode does not use, so the
sandbox gets a classic BPF program instead. It is written out here, instruction by instruction: libseccomp's own
Python binding is not on PyPI, and ``pyseccomp`` (a ctypes wrapper last released in 2021) would need the system's
libseccomp in every worker image, for a program of thirteen instructions (on x86_64):

====  ===========================================  ====================================================
 #    instruction                                  meaning
====  ===========================================  ====================================================
 0    ``ld  [4]``                                  A = seccomp_data.arch
 1    ``jeq #AUDIT_ARCH, 0, <enosys>``             another ABI (i386 on x86_64): every call is ENOSYS
 2    ``ld  [0]``                                  A = seccomp_data.nr
 3    ``jge #X32_BIT, <enosys>, 0``                (x86_64 only) the x32 ABI: ENOSYS
 4    ``jeq #clone3, <enosys>, 0``                 clone3 passes flags in memory BPF cannot read: ENOSYS,
                                                   so glibc falls back to clone (threads, posix_spawn)
 5    ``jeq #setns, <eperm>, 0``                   setns: EPERM
 6    ``jeq #unshare, <flags>, 0``
 7    ``jeq #clone, <flags>, <allow>``
 8    ``ld  [16]``  (flags)                        A = low 32 bits of args[0] (the flags of clone/unshare)
 9    ``jset #CLONE_NEWUSER, <eperm>, <allow>``    a new user namespace: EPERM
10    ``ret #ALLOW``
11    ``ret #ERRNO(EPERM)``
12    ``ret #ERRNO(ENOSYS)``
====  ===========================================  ====================================================

Everything else is allowed (threads, fork, subprocess, multiprocessing, torch and joblib workers).
"""

from __future__ import annotations

import errno
import os
import platform
import struct
from dataclasses import dataclass

# classic BPF opcodes (linux/filter.h)
BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
BPF_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
BPF_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
BPF_RET_K = 0x06  # BPF_RET | BPF_K
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
CLONE_NEWUSER = 0x10000000
X32_SYSCALL_BIT = 0x40000000
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = 0, 4, 16  # struct seccomp_data (little-endian: low half of args[0])


@dataclass(frozen=True)
class Abi:
    audit_arch: int
    clone: int
    unshare: int
    setns: int
    clone3: int
    x32: bool


ABIS = {
    "x86_64": Abi(audit_arch=0xC000003E, clone=56, unshare=272, setns=308, clone3=435, x32=True),
    "aarch64": Abi(audit_arch=0xC00000B7, clone=220, unshare=97, setns=268, clone3=435, x32=False),
}
ERR_ARCH = "no seccomp filter for this machine ({machine}); the sandbox supports {known}"


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)  # struct sock_filter


def deny_userns_program(machine: str | None = None) -> bytes:
    """The BPF program (the table above) for ``machine`` (default: this one), as bwrap reads it."""
    name = machine or platform.machine()
    abi = ABIS.get(name)
    if abi is None:
        raise RuntimeError(ERR_ARCH.format(machine=name, known=", ".join(ABIS)))
    body: list[tuple[int, int, int, int]] = [(BPF_LD_W_ABS, 0, 0, OFFSET_ARCH)]
    body.append((BPF_JEQ_K, 0, -1, abi.audit_arch))  # -1: jump to the ENOSYS return (patched below)
    body.append((BPF_LD_W_ABS, 0, 0, OFFSET_NR))
    if abi.x32:
        body.append((BPF_JGE_K, -1, 0, X32_SYSCALL_BIT))
    body.append((BPF_JEQ_K, -1, 0, abi.clone3))
    body.append((BPF_JEQ_K, -2, 0, abi.setns))  # -2: the EPERM return
    body.append((BPF_JEQ_K, -3, 0, abi.unshare))  # -3: the flag check
    body.append((BPF_JEQ_K, -3, -4, abi.clone))  # -4: the ALLOW return
    flags_at = len(body)
    body.append((BPF_LD_W_ABS, 0, 0, OFFSET_ARG0))
    body.append((BPF_JSET_K, -2, -4, CLONE_NEWUSER))
    allow_at = len(body)
    body.append((BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    body.append((BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM))
    body.append((BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS))
    targets = {-1: allow_at + 2, -2: allow_at + 1, -3: flags_at, -4: allow_at}
    program = b""
    for index, (code, jt, jf, k) in enumerate(body):
        jt = targets[jt] - index - 1 if jt < 0 else jt
        jf = targets[jf] - index - 1 if jf < 0 else jf
        program += _insn(code, jt, jf, k)
    return program


def program_fd(machine: str | None = None) -> int:
    """A file descriptor to pass to bwrap (``--seccomp FD``) that holds the program, read from its start."""
    fd = os.memfd_create("grader-seccomp", 0)
    os.write(fd, deny_userns_program(machine))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
