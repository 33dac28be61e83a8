// Service manager notifications. Under systemd (Type=notify) the daemons
// report READY=1 once they serve, and STOPPING=1 when they begin to stop.
// Elsewhere these do nothing; callers wait on gRPC health instead.
#ifndef ZTGATE_COMMON_READINESS_H_
#define ZTGATE_COMMON_READINESS_H_

namespace ztgate {

void NotifyReady();
void NotifyStopping();

}  // namespace ztgate

#endif  // ZTGATE_COMMON_READINESS_H_
