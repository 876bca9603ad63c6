#include "backend/device_report.h"

namespace nt {

DeviceReport query_devices() {
  DeviceReport report;
  report.devices.push_back(query_cpu_device());
  report.cuda = query_cuda_devices(report.devices);
  return report;
}

}  // namespace nt
