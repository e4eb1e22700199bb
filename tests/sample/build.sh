#!/usr/bin/env bash
# Packs the client packages into a local folder feed and builds one sample app per C# block of client/README.md
# against those .nupkg files (package references, not project references), the blocks exactly as written.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A version no earlier run used, so the global package cache cannot answer for this build's packages.
version="1.0.0-sample.$(date +%s)"
for project in proto/Robinhood.Proto client/Robinhood.Client client/Robinhood.Client.Yarp agent/Robinhood.Agent; do
  timeout 600 dotnet pack "$project" -c Release -o "$work/feed" -p:PackageVersion="$version" --nologo -v quiet
done
for package in Robinhood.Proto Robinhood.Client Robinhood.Client.Yarp Robinhood.Agent; do
  test -f "$work/feed/$package.$version.nupkg" || { echo "missing $package.$version.nupkg" >&2; exit 1; }
  test -f "$work/feed/$package.$version.snupkg" || { echo "missing $package.$version.snupkg (symbols)" >&2; exit 1; }
  grep -qa "README.md" "$work/feed/$package.$version.nupkg" || { echo "$package has no README.md" >&2; exit 1; }
done

# Block n of client/README.md becomes $work/app<n>/Program.cs.
awk -v dir="$work" '
  /^```csharp$/ { n++; inside = 1; system("mkdir -p " dir "/app" n); next }
  /^```$/ && inside { inside = 0; next }
  inside { print > (dir "/app" n "/Program.cs") }
' client/README.md
apps=("$work"/app*)
test -d "${apps[0]}" || { echo "client/README.md has no C# block" >&2; exit 1; }

cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="robinhood-local" value="$work/feed" />
  </packageSources>
</configuration>
XML
for app in "${apps[@]}"; do
  cat > "$app/Sample.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Robinhood.Client" Version="$version" />
    <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.0" />
  </ItemGroup>
</Project>
XML
  echo "sample $(basename "$app"): client/README.md block as written, against Robinhood.Client $version from $work/feed"
  timeout 600 dotnet build "$app/Sample.csproj" -c Release --nologo -v quiet
  # The packages came from the folder feed, not from a project reference.
  grep -q "\"Robinhood.Client/$version\"" "$app/obj/project.assets.json"
done
echo "samples built: ${#apps[@]}"
