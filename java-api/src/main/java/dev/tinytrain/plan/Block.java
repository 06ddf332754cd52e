package dev.tinytrain.plan;

import java.util.List;

/**
 * A unit of placement: buffers whose offsets are tied together. Most blocks hold one buffer; an
 * in-place op ties its input and output into one block (the output over its input, each at a
 * fixed offset inside the block, their lifetimes cut so they never live at the same position).
 *
 * @param members every value of the block with its offset inside the block; a member whose
 *                whole lifetime is covered by its neighbours has no part of its own
 */
public record Block(List<Member> members) {

    /**
     * @param id     value id (or scratch id)
     * @param offset bytes from the block's start
     * @param part   the bytes this member occupies and when, or {@code null} when none of its own
     */
    public record Member(int id, long offset, Buffer part) {
    }

    public Block {
        members = List.copyOf(members);
        if (members.isEmpty()) {
            throw new IllegalArgumentException("empty block");
        }
    }

    public static Block of(Buffer b) {
        return new Block(List.of(new Member(b.id(), 0, b)));
    }

    /** Bytes from the block's start to the end of its farthest part. */
    public long extent() {
        long e = 0;
        for (Member m : members) {
            if (m.part() != null) {
                e = Math.max(e, m.offset() + m.part().bytes());
            }
        }
        return e;
    }

    /** First schedule position of any part (for ordering). */
    public int first() {
        return members.stream().filter(m -> m.part() != null).mapToInt(m -> m.part().first()).min().orElse(0);
    }

    /** Last schedule position of any part (for ordering). */
    public int last() {
        return members.stream().filter(m -> m.part() != null).mapToInt(m -> m.part().last()).max().orElse(0);
    }

    /** The smallest member id, a stable tie-breaker. */
    public int key() {
        return members.stream().mapToInt(Member::id).min().orElseThrow();
    }
}
