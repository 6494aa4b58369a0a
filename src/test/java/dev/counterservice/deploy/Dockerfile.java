package dev.counterservice.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import tools.jackson.databind.json.JsonMapper;

/**
 * The repository's Dockerfile, read as its instructions (continuation lines joined, comments dropped), so tests
 * can check it without a Docker engine.
 */
record Dockerfile(List<Instruction> instructions) {

    static final Path FILE = Path.of("Dockerfile");

    /**
     * One instruction.
     *
     * @param stage   the name of the stage it belongs to (its FROM's alias, or its index)
     * @param keyword FROM, COPY, RUN... in upper case
     * @param args    the rest of the line
     */
    record Instruction(String stage, String keyword, String args) {

        List<String> words() {
            return List.of(args.trim().split("\\s+"));
        }

        /** The command of an exec-form (JSON array) or shell-form instruction, without a shell. */
        List<String> command() {
            return args.trim().startsWith("[") ? List.of(JsonMapper.shared().readValue(args, String[].class)) : words();
        }
    }

    static Dockerfile read() {
        try {
            List<Instruction> instructions = new ArrayList<>();
            String stage = null;
            int stages = 0;
            StringBuilder line = new StringBuilder();
            for (String raw : Files.readAllLines(FILE)) {
                if (line.isEmpty() && (raw.isBlank() || raw.stripLeading().startsWith("#"))) {
                    continue;
                }
                if (raw.endsWith("\\")) {
                    line.append(raw, 0, raw.length() - 1).append(' ');
                    continue;
                }
                line.append(raw);
                String[] parts = line.toString().trim().split("\\s+", 2);
                line.setLength(0);
                String keyword = parts[0].toUpperCase();
                String args = parts.length > 1 ? parts[1] : "";
                if (keyword.equals("FROM")) {
                    String[] from = args.split("\\s+");
                    stage = from.length == 3 && from[1].equalsIgnoreCase("AS") ? from[2] : String.valueOf(stages);
                    stages++;
                }
                instructions.add(new Instruction(stage, keyword, args));
            }
            return new Dockerfile(List.copyOf(instructions));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    List<Instruction> inStage(String stage, String keyword) {
        return all(keyword).stream().filter(i -> i.stage().equals(stage)).toList();
    }

    /** The stage the image is made of: the last one. */
    String finalStage() {
        return instructions.getLast().stage();
    }

    String workdir(String stage) {
        return inStage(stage, "WORKDIR").getLast().args().trim();
    }

    /** The ENTRYPOINT, as the command line it runs. */
    List<String> entrypoint() {
        return inStage(finalStage(), "ENTRYPOINT").getLast().command();
    }
}
