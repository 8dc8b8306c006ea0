/* Stand-in for Open vSwitch's include/openvswitch/list.h (ct-offload
 * conformance kit; see config.h): a circular doubly linked list with a
 * sentinel, and the iteration macros lib/ct-offload.c and
 * lib/ct-offload-dummy.c use.  As in OVS, LIST_FOR_EACH reads the next node
 * after the body runs (the body must not free the current node and go on),
 * and LIST_FOR_EACH_POP removes each node before its body runs. */

#ifndef CT_STANDIN_OPENVSWITCH_LIST_H
#define CT_STANDIN_OPENVSWITCH_LIST_H 1

#include <stdbool.h>
#include <stddef.h>

struct ovs_list {
    struct ovs_list *prev;
    struct ovs_list *next;
};

#define OVS_LIST_INITIALIZER(LIST) { LIST, LIST }

static inline void
ovs_list_init(struct ovs_list *list)
{
    list->next = list->prev = list;
}

static inline bool
ovs_list_is_empty(const struct ovs_list *list)
{
    return list->next == list;
}

/* Inserts 'elem' just before 'before'. */
static inline void
ovs_list_insert(struct ovs_list *before, struct ovs_list *elem)
{
    elem->prev = before->prev;
    elem->next = before;
    before->prev->next = elem;
    before->prev = elem;
}

static inline void
ovs_list_push_back(struct ovs_list *list, struct ovs_list *elem)
{
    ovs_list_insert(list, elem);
}

static inline void
ovs_list_push_front(struct ovs_list *list, struct ovs_list *elem)
{
    ovs_list_insert(list->next, elem);
}

/* Removes 'elem' from its list; returns the element that followed it. */
static inline struct ovs_list *
ovs_list_remove(struct ovs_list *elem)
{
    elem->prev->next = elem->next;
    elem->next->prev = elem->prev;
    return elem->next;
}

static inline struct ovs_list *
ovs_list_pop_front(struct ovs_list *list)
{
    struct ovs_list *front = list->next;

    ovs_list_remove(front);
    return front;
}

#define CT_STANDIN_CONTAINER(ITER, POINTER, MEMBER)                          \
    ((ITER) = (void *) ((char *) (POINTER) - offsetof(__typeof__(*(ITER)), MEMBER)))

#define LIST_FOR_EACH(ITER, MEMBER, LIST)                                    \
    for (CT_STANDIN_CONTAINER(ITER, (LIST)->next, MEMBER);                   \
         &(ITER)->MEMBER != (LIST);                                          \
         CT_STANDIN_CONTAINER(ITER, (ITER)->MEMBER.next, MEMBER))

#define LIST_FOR_EACH_POP(ITER, MEMBER, LIST)                                \
    while (!ovs_list_is_empty(LIST)                                          \
           && (CT_STANDIN_CONTAINER(ITER, ovs_list_pop_front(LIST), MEMBER), 1))

#endif /* openvswitch/list.h */
