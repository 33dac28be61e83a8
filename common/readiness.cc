// Service manager notifications; see readiness.h.
#include "common/readiness.h"

#ifdef ZTGATE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace ztgate {

void NotifyReady() {
#ifdef ZTGATE_HAVE_SYSTEMD
  sd_notify(0, "READY=1");
#endif
}

void NotifyStopping() {
#ifdef ZTGATE_HAVE_SYSTEMD
  sd_notify(0, "STOPPING=1");
#endif
}

}  // namespace ztgate
