#!/usr/bin/env python3
"""Prints "tv_sec tv_nsec" for every pstore/zone kmsg header in an image,
decoded here by hand, independently of the C++ decoder, so the golden test
can check extracted dmesg mtimes to the nanosecond.

x86_64 only (every kernel fixture so far): struct psz_buffer
(fs/pstore/zone.c) is u32 sig = PSZ_SIG (0x43474244) ^ PSTORE_TYPE_DMESG (0),
atomic_t datalen, atomic_t start, then data[] holding struct
psz_kmsg_header: u32 magic (0x4dfc3ae5) at data+0, struct timespec64 time
at data+8 (s64 tv_sec, long tv_nsec at data+16), little-endian.
Usage: kmsg_times.py IMAGE
"""
import struct
import sys

SIG = struct.pack('<I', 0x43474244)
MAGIC = struct.pack('<I', 0x4dfc3ae5)

data = open(sys.argv[1], 'rb').read()
pos = data.find(SIG)
while pos != -1:
    hdr = pos + 12
    if data[hdr:hdr + 4] == MAGIC and hdr + 24 <= len(data):
        sec, nsec = struct.unpack_from('<qq', data, hdr + 8)
        print(sec, nsec)
    pos = data.find(SIG, pos + 1)
