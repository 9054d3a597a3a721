/** Fixed ports of production-stack's engine pods and Services (dependency-free: the compiler checks them too). */

/** The NIXL/ZMQ side-channel port of every engine container and Service. */
export const ZMQ_PORT = 55555;
/** The UCX port of every engine container and Service. */
export const UCX_PORT = 9999;
