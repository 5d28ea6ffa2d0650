package dev.registerservice;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout of {@code docs/design.md} ("Layout": one row per package, the packages it may import) held against
 * the compiled classes with ArchUnit: the table names every package and no other, each package imports only
 * what its row names (so nothing imports up), and no two packages import each other. The generated templates
 * ({@code pages.jte}) are part of {@code pages}.
 */
class ArchitectureTest {
  private static final String ROOT = "dev.registerservice";
  private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9.]+)` \\| (\\d+) \\| .* \\| ([^|]+) \\|$");
  private static JavaClasses classes;
  private static Map<String, Set<String>> allowed;
  private static Map<String, Integer> floors;

  @BeforeAll
  static void read() throws IOException {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages(ROOT);
    allowed = new LinkedHashMap<>();
    floors = new LinkedHashMap<>();
    String doc = Files.readString(Path.of("docs/design.md"));
    String layout = doc.substring(doc.indexOf("## Layout"), doc.indexOf("\n## ", doc.indexOf("## Layout") + 1));
    for (String line : layout.lines().toList()) {
      Matcher row = ROW.matcher(line);
      if (row.matches()) {
        String name = row.group(1).equals(ROOT) ? ROOT : ROOT + "." + row.group(1);
        floors.put(name, Integer.parseInt(row.group(2)));
        allowed.put(name, imports(row.group(3).trim()));
      }
    }
    assertThat(allowed).as("rows of the layout table").isNotEmpty();
  }

  private static Set<String> imports(String cell) {
    Set<String> names = new TreeSet<>();
    if (cell.equals("all below") || cell.equals("none")) {
      return names;
    }
    Matcher each = Pattern.compile("`([a-z0-9.]+)`").matcher(cell);
    while (each.find()) {
      names.add(ROOT + "." + each.group(1));
    }
    return names;
  }

  /** A class's package as the table counts it: the generated templates belong to pages. */
  private static String packageOf(JavaClass type) {
    String name = type.getPackageName();
    return name.equals(ROOT + ".pages.jte") ? ROOT + ".pages" : name;
  }

  @Test
  void theTableNamesEveryPackageAndNoOther() {
    Set<String> inCode = classes.stream().map(ArchitectureTest::packageOf).collect(Collectors.toCollection(TreeSet::new));
    assertThat(new TreeSet<>(allowed.keySet())).isEqualTo(inCode);
  }

  @Test
  void eachPackageImportsOnlyWhatItsRowNamesAndThoseAreBelowIt() {
    List<String> violations = new ArrayList<>();
    for (JavaClass type : classes) {
      String from = packageOf(type);
      type.getDirectDependenciesFromSelf().forEach(dependency -> {
        JavaClass target = dependency.getTargetClass();
        if (!target.getPackageName().startsWith(ROOT)) {
          return;
        }
        String to = packageOf(target);
        boolean rootImportsBelow = from.equals(ROOT) && floors.get(to) < floors.get(ROOT);
        if (!to.equals(from) && !rootImportsBelow && !allowed.get(from).contains(to)) {
          violations.add(type.getName() + " -> " + target.getName());
        }
      });
    }
    assertThat(violations).as("imports not in the layout table").isEmpty();
    allowed.forEach((from, imports) -> imports.forEach(to -> assertThat(floors.get(to))
        .as("%s may import %s, which must stand below it", from, to).isLessThan(floors.get(from))));
  }

  @Test
  void noTwoPackagesImportEachOther() {
    slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(classes);
    // The root package is not a slice of that pattern: nothing below may import it.
    noClasses().that().resideOutsideOfPackage(ROOT).and().resideInAPackage(ROOT + "..")
        .should().dependOnClassesThat().resideInAPackage(ROOT).check(classes);
  }

  @Test
  void onlyTheAdapterTouchesVertxAndNettyInternals() {
    noClasses().that().resideOutsideOfPackages(ROOT + ".internal", ROOT)
        .should().dependOnClassesThat().resideInAnyPackage("io.vertx.core.internal..", "io.vertx.core.impl..",
            "io.vertx.core.http.impl..", "io.vertx.core.net.impl..")
        .check(classes);
    assertThat(Arrays.asList(ROOT)).isNotEmpty();
  }
}
