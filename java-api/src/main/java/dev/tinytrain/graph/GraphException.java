package dev.tinytrain.graph;

import java.util.List;

/** A graph is malformed: the message lists every problem the verifier found, each naming op and value. */
public class GraphException extends IllegalArgumentException {

    private final List<String> problems;

    public GraphException(String graph, List<String> problems) {
        super("graph " + graph + " is invalid (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
                + "):\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
