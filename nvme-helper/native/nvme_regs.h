// Facts of the NVMe base specification (2.0) that the helper's user-space driver relies on:
// controller register offsets and fields, command opcodes, the submission and completion entry
// layouts. Only what nvme_controller.c and nvme_queue.c use.
#pragma once
#include <stdint.h>

// Controller registers (BAR0), byte offsets.
#define NVME_REG_CAP 0x00    // 64-bit: capabilities
#define NVME_REG_VS 0x08     // version
#define NVME_REG_INTMS 0x0c  // interrupt mask set
#define NVME_REG_CC 0x14     // controller configuration
#define NVME_REG_CSTS 0x1c   // controller status
#define NVME_REG_AQA 0x24    // admin queue attributes
#define NVME_REG_ASQ 0x28    // 64-bit: admin submission queue base
#define NVME_REG_ACQ 0x30    // 64-bit: admin completion queue base
#define NVME_REG_DOORBELLS 0x1000

// CAP fields.
#define NVME_CAP_MQES(cap) ((uint32_t)((cap) & 0xffff))          // max queue entries, 0-based
#define NVME_CAP_TO(cap) ((uint32_t)(((cap) >> 24) & 0xff))     // ready timeout, 500 ms units
#define NVME_CAP_DSTRD(cap) ((uint32_t)(((cap) >> 32) & 0xf))   // doorbell stride 2^(2+DSTRD)
#define NVME_CAP_CSS_NVM(cap) ((uint32_t)(((cap) >> 37) & 0x1)) // NVM command set supported
#define NVME_CAP_MPSMIN(cap) ((uint32_t)(((cap) >> 48) & 0xf))  // min page size 2^(12+MPSMIN)

// CC fields.
#define NVME_CC_EN (1u << 0)
#define NVME_CC_CSS_NVM (0u << 4)
#define NVME_CC_MPS_4K (0u << 7)
#define NVME_CC_AMS_RR (0u << 11)
#define NVME_CC_SHN_MASK (3u << 14)
#define NVME_CC_SHN_NORMAL (1u << 14)
#define NVME_CC_IOSQES (6u << 16)  // 2^6 = 64-byte submission entries
#define NVME_CC_IOCQES (4u << 20)  // 2^4 = 16-byte completion entries

// CSTS fields.
#define NVME_CSTS_RDY (1u << 0)
#define NVME_CSTS_CFS (1u << 1)
#define NVME_CSTS_SHST_MASK (3u << 2)
#define NVME_CSTS_SHST_COMPLETE (2u << 2)
// All ones: the device is gone from the bus (or its BAR is no longer decoded).
#define NVME_CSTS_GONE 0xffffffffu

// Admin opcodes.
#define NVME_ADMIN_DELETE_SQ 0x00
#define NVME_ADMIN_CREATE_SQ 0x01
#define NVME_ADMIN_DELETE_CQ 0x04
#define NVME_ADMIN_CREATE_CQ 0x05
#define NVME_ADMIN_IDENTIFY 0x06
#define NVME_ADMIN_SET_FEATURES 0x09

// NVM opcodes.
#define NVME_NVM_READ 0x02

// Identify CNS values.
#define NVME_CNS_NAMESPACE 0x00
#define NVME_CNS_CONTROLLER 0x01
#define NVME_CNS_ACTIVE_NAMESPACES 0x02

// Set Features: Number of Queues.
#define NVME_FEATURE_NUM_QUEUES 0x07

// Identify Controller, byte offsets.
#define NVME_IDCTRL_SN 4     // 20 bytes, ASCII, space padded
#define NVME_IDCTRL_MN 24    // 40 bytes
#define NVME_IDCTRL_FR 64    // 8 bytes
#define NVME_IDCTRL_MDTS 77  // max data transfer, 2^n units of CAP.MPSMIN, 0 = no limit

// Identify Namespace, byte offsets.
#define NVME_IDNS_NSZE 0     // 64-bit: size in logical blocks
#define NVME_IDNS_NLBAF 25   // number of LBA formats, 0-based
#define NVME_IDNS_FLBAS 26   // formatted LBA size: bits 3:0 (and 6:5) index the format
#define NVME_IDNS_LBAF 128   // 4 bytes per format: MS 15:0, LBADS 23:16

/** A submission queue entry: 64 bytes (NVMe base spec, "Common Command Format"). */
typedef struct {
  uint32_t cdw0;  // opcode 7:0, fuse 9:8, PSDT 15:14 (0: PRPs), command id 31:16
  uint32_t nsid;
  uint32_t cdw2, cdw3;
  uint64_t mptr;
  uint64_t prp1, prp2;
  uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
} nvme_sqe;

/** A completion queue entry: 16 bytes. */
typedef struct {
  uint32_t dw0;
  uint32_t dw1;
  uint16_t sq_head;
  uint16_t sq_id;
  uint16_t cid;
  uint16_t status;  // phase bit 0, status field 15:1 (SC 8:1, SCT 11:9, DNR 15)
} nvme_cqe;

_Static_assert(sizeof(nvme_sqe) == 64, "an NVMe submission entry is 64 bytes");
_Static_assert(sizeof(nvme_cqe) == 16, "an NVMe completion entry is 16 bytes");
