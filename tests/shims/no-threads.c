/*
 * Preloaded by tests/preload.sh: a machine where no thread can start (a process limit reached,
 * a tight cgroup). Every pthread_create fails as glibc's does when out of resources.
 */
#include <errno.h>
#include <pthread.h>

int
pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
	(void)thread;
	(void)attr;
	(void)start;
	(void)arg;
	return EAGAIN;
}
