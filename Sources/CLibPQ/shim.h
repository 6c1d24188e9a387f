#include <libpq-fe.h>
// The poller that watches libpq's sockets (Swift's Glibc module leaves epoll out).
#include <sys/epoll.h>
